/**
 * Continuous-time denoising score matching for an SDE (Song et al. 2021):
 *
 *   L = E_{t ~ U[tMin, T], x0, z} lambda(t) |s_theta(x_t, t) + z / std(t)|^2,
 *   x_t = mean(t) x0 + std(t) z,   lambda(t) = std(t)^2,
 *
 * which with s_theta = -eps_theta / std(t) is epsilon prediction, |eps_theta(x_t, t) - z|^2; averaged
 * over rows and coordinates.
 */
import { floats } from "../runtime/arrays.ts";
import * as tf from "@tensorflow/tfjs";
import type { Sde } from "../noise/sde.ts";
import type { Stream } from "../runtime/random.ts";
import {
  modelLoss,
  type RegressionBatch,
  type RegressionTarget,
  valuesOf,
} from "../nn/regression.ts";
import { perturbRows } from "../noise/schedules.ts";

/** Times t uniform on [tMin, T] for n rows. */
export function drawTimes(n: number, tMin: number, T: number, stream: Stream): Float32Array {
  return floats(n, () => tMin + (T - tMin) * stream.uniform());
}

/** The [N, 1] columns mean(t) and std(t) of the SDE's marginal at times t, in float32. */
function sdeMarginalColumns(sde: Sde, t: Float32Array): { mean: Float32Array; std: Float32Array } {
  return {
    mean: floats(t.length, (i) => sde.meanCoef(t[i])),
    std: floats(t.length, (i) => sde.std(t[i])),
  };
}

/**
 * What the loss regresses on data rows x0 with times t and noise z: the input x_t = mean(t) x0 +
 * std(t) z, the target z.
 */
export function continuousDsmTarget(
  sde: Sde,
  x0: Float32Array,
  t: Float32Array,
  z: Float32Array,
): RegressionTarget {
  const c = sdeMarginalColumns(sde, t);
  return { x: perturbRows(c.mean, c.std, x0, z), dim: x0.length / t.length, target: z };
}

/** The loss of an epsilon network (fed x_t and a [N, 1] column of t) on data rows x0, times t, noise z. */
export function continuousDsmLoss(
  eps: (xt: tf.Tensor2D, t: tf.Tensor2D) => tf.Tensor2D,
  sde: Sde,
  x0: tf.Tensor2D,
  t: Float32Array,
  z: tf.Tensor2D,
): tf.Scalar {
  const r = continuousDsmTarget(sde, valuesOf(x0), t, valuesOf(z));
  return modelLoss(r, (x) => eps(x, tf.tensor2d(t, [t.length, 1])));
}

/**
 * {@link continuousDsmLoss} as a regression batch (`core/nn/regression.ts`) of a network with the
 * time input "t" (a [N, 1] column) and `features`.
 */
export function continuousDsmRegression(
  sde: Sde,
  x0: Float32Array,
  t: Float32Array,
  z: Float32Array,
  features: Record<string, tf.Tensor2D> = {},
): RegressionBatch {
  return {
    ...continuousDsmTarget(sde, x0, t, z),
    features: { ...features, t: tf.tensor2d(t, [t.length, 1]) },
  };
}
