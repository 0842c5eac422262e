/**
 * The DDPM epsilon-prediction objective (seed 004, section 16.5):
 *
 *   L = E_{x0, t ~ U{0..T-1}, eps ~ N(0, I)} |eps_theta(sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps, t) - eps|^2
 *
 * averaged over rows and coordinates (torch's mse_loss). It is denoising score matching with
 * s_theta = -eps_theta / sqrt(1 - alphaBar_t).
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";
import { type DiscreteSchedule, marginalCoefficients, qSample } from "../noise/schedules.ts";
import type { Stream } from "../runtime/random.ts";

/** The random part of one minibatch: a time index per row, then the noise, from one stream. */
export function drawTimesAndNoise(
  rows: number,
  dim: number,
  T: number,
  stream: Stream,
): { t: Int32Array; eps: Float32Array } {
  const t = new Int32Array(rows);
  for (let i = 0; i < rows; i++) t[i] = stream.int(T);
  return { t, eps: stream.normals(rows * dim) };
}

/** The DDPM loss on data rows x0 [B, d] with time indices t and noise eps [B, d]. */
export function ddpmLoss(
  eps: EpsModel,
  s: DiscreteSchedule,
  x0: tf.Tensor2D,
  t: Int32Array,
  noise: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const c = marginalCoefficients(s, t);
    const xt = qSample(x0, c.mean, c.std, noise);
    return tf.mean(tf.squaredDifference(eps(xt, t), noise)) as tf.Scalar;
  });
}
