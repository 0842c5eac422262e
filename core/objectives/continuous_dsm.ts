/**
 * Continuous-time denoising score matching for an SDE (Song et al. 2021):
 *
 *   L = E_{t ~ U[tMin, T], x0, z} lambda(t) |s_theta(x_t, t) + z / std(t)|^2,
 *   x_t = mean(t) x0 + std(t) z,   lambda(t) = std(t)^2,
 *
 * which with s_theta = -eps_theta / std(t) is epsilon prediction, |eps_theta(x_t, t) - z|^2; averaged
 * over rows and coordinates.
 */
import * as tf from "@tensorflow/tfjs";
import type { Sde } from "../noise/sde.ts";
import type { Stream } from "../runtime/random.ts";
import { meanSquaredError } from "../nn/mse.ts";
import type { RegressionBatch } from "../nn/regression.ts";
import { perturbRows } from "../noise/schedules.ts";

/** Times t uniform on [tMin, T] for n rows. */
export function drawTimes(n: number, tMin: number, T: number, stream: Stream): Float32Array {
  return Float32Array.from({ length: n }, () => tMin + (T - tMin) * stream.uniform());
}

/** The [N, 1] columns mean(t) and std(t) of the SDE's marginal at times t, in float32. */
function marginalColumns(sde: Sde, t: Float32Array): { mean: Float32Array; std: Float32Array } {
  return {
    mean: Float32Array.from(t, (ti) => sde.meanCoef(ti)),
    std: Float32Array.from(t, (ti) => sde.std(ti)),
  };
}

/** The loss of an epsilon network (fed x_t and a [N, 1] column of t) on data rows x0, times t, noise z. */
export function continuousDsmLoss(
  eps: (xt: tf.Tensor2D, t: tf.Tensor2D) => tf.Tensor2D,
  sde: Sde,
  x0: tf.Tensor2D,
  t: Float32Array,
  z: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const n = t.length;
    const c = marginalColumns(sde, t);
    const mean = tf.tensor2d(c.mean, [n, 1]);
    const std = tf.tensor2d(c.std, [n, 1]);
    const xt = tf.add(tf.mul(mean, x0), tf.mul(std, z)) as tf.Tensor2D;
    return meanSquaredError(eps(xt, tf.tensor2d(t, [n, 1])), z);
  });
}

/**
 * {@link continuousDsmLoss} as a regression batch (`core/nn/regression.ts`) of a network with the
 * time input "t" (a [N, 1] column) and `features`: x_t from data rows x0, target the noise z.
 */
export function continuousDsmRegression(
  sde: Sde,
  x0: Float32Array,
  t: Float32Array,
  z: Float32Array,
  features: Record<string, tf.Tensor2D> = {},
): RegressionBatch {
  const c = marginalColumns(sde, t);
  const n = t.length;
  return {
    x: tf.tensor2d(perturbRows(c.mean, c.std, x0, z), [n, x0.length / n]),
    features: { ...features, t: tf.tensor2d(t, [n, 1]) },
    target: z,
  };
}
