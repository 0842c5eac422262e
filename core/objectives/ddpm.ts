/**
 * The DDPM epsilon-prediction objective (seed 004, section 16.5):
 *
 *   L = E_{x0, t ~ U{0..T-1}, eps ~ N(0, I)} |eps_theta(sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps, t) - eps|^2
 *
 * averaged over rows and coordinates (torch's mse_loss). It is denoising score matching with
 * s_theta = -eps_theta / sqrt(1 - alphaBar_t); {@link ddpmScoreLoss} is the same regression
 * written for a network that outputs the score itself (the form seed 004 reparameterizes away).
 */
import { floats } from "../runtime/arrays.ts";
import type * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";
import { type DiscreteSchedule, marginalColumns, qSampleRows } from "../noise/schedules.ts";
import type { Stream } from "../runtime/random.ts";
import {
  modelLoss,
  type RegressionBatch,
  type RegressionTarget,
  valuesOf,
} from "../nn/regression.ts";
import { chainTimeInput } from "../models.ts";
import type { Network } from "../nn/network.ts";

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

/**
 * What the DDPM loss regresses on data rows x0 [B, d] with time indices t and noise eps: the
 * input x_t = sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps, the target eps.
 */
export function ddpmTarget(
  s: DiscreteSchedule,
  x0: Float32Array,
  t: Int32Array,
  noise: Float32Array,
): RegressionTarget {
  return { x: qSampleRows(s, x0, t, noise), dim: x0.length / t.length, target: noise };
}

/** The DDPM loss of `eps` on data rows x0 [B, d] with time indices t and noise eps [B, d]. */
export function ddpmLoss(
  eps: EpsModel,
  s: DiscreteSchedule,
  x0: tf.Tensor2D,
  t: Int32Array,
  noise: tf.Tensor2D,
): tf.Scalar {
  return modelLoss(ddpmTarget(s, valuesOf(x0), t, valuesOf(noise)), (x) => eps(x, t));
}

/**
 * The score form of the same objective (seed 004 section 16.4, before the reparameterization):
 *
 *   L = E |s_theta(x_t, t) + eps / sqrt(1 - alphaBar_t)|^2
 *
 * for a network that outputs grad log q_t itself; with eps_theta = -sqrt(1 - alphaBar_t) s_theta
 * it is the epsilon loss weighted by 1 / (1 - alphaBar_t), which grows to 1 / beta_1 at the first
 * step. What it regresses: {@link ddpmTarget}'s input, the target -eps / sqrt(1 - alphaBar_t).
 */
export function ddpmScoreTarget(
  s: DiscreteSchedule,
  x0: Float32Array,
  t: Int32Array,
  noise: Float32Array,
): RegressionTarget {
  const r = ddpmTarget(s, x0, t, noise);
  const { std } = marginalColumns(s, t);
  return {
    ...r,
    target: floats(r.target.length, (i) => -r.target[i] / std[Math.floor(i / r.dim)]),
  };
}

/** The score-form loss of `score` ({@link ddpmScoreTarget}) on data rows x0, times t, noise. */
export function ddpmScoreLoss(
  score: (x: tf.Tensor2D, t: Int32Array) => tf.Tensor2D,
  s: DiscreteSchedule,
  x0: tf.Tensor2D,
  t: Int32Array,
  noise: tf.Tensor2D,
): tf.Scalar {
  return modelLoss(ddpmScoreTarget(s, valuesOf(x0), t, valuesOf(noise)), (x) => score(x, t));
}

/**
 * A chain network (`net` with the time input "t" and `features`) trained by {@link ddpmLoss}
 * (`output` "eps") or {@link ddpmScoreLoss} ("score"), as a regression batch
 * (`core/nn/regression.ts`).
 */
export function ddpmRegression(
  net: Network,
  s: DiscreteSchedule,
  x0: Float32Array,
  t: Int32Array,
  noise: Float32Array,
  features: Record<string, tf.Tensor2D> = {},
  output: "eps" | "score" = "eps",
): RegressionBatch {
  return {
    ...(output === "score" ? ddpmScoreTarget : ddpmTarget)(s, x0, t, noise),
    features: { ...features, t: chainTimeInput(net, s.T, t) },
  };
}
