/**
 * Denoising score matching at one noise level (Vincent 2011), seeds 002 and 004:
 *
 *   L(theta) = E_{x ~ p_data, z ~ N(0, I)} 1/2 |s_theta(x + sigma z) + z / sigma|^2
 *
 * whose minimiser is the score of the data convolved with N(0, sigma^2 I). In 2-D, 1/2 |.|^2 equals
 * the mean over coordinates that seed 004's `((pred - target)**2).mean()` computes.
 */
import { floats } from "../runtime/arrays.ts";
import type * as tf from "@tensorflow/tfjs";
import { perturbRows } from "../noise/schedules.ts";
import {
  modelLoss,
  type RegressionBatch,
  type RegressionTarget,
  valuesOf,
} from "../nn/regression.ts";

const f32 = Math.fround;

/**
 * What the DSM loss regresses on data rows x0 (`dim` per row) with noise z at level sigma: the
 * input x0 + sigma z, the target -z / sigma, half the mean over rows of the squared error (float32
 * operations in the order of the seed's tensor formula).
 */
export function dsmTarget(
  x0: Float32Array,
  dim: number,
  sigma: number,
  z: Float32Array,
): RegressionTarget {
  const s = f32(sigma);
  const rows = x0.length / dim;
  return {
    x: perturbRows(new Float32Array(rows).fill(1), new Float32Array(rows).fill(s), x0, z),
    dim,
    target: floats(z.length, (i) => -f32(z[i] / s)),
    reduce: "halfRowSum",
  };
}

/** The DSM loss of `score` on data rows x0 [N, d] with noise z [N, d] at level sigma. */
export function dsmLoss(
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  x0: tf.Tensor2D,
  sigma: number,
  z: tf.Tensor2D,
): tf.Scalar {
  return modelLoss(dsmTarget(valuesOf(x0), x0.shape[1], sigma, valuesOf(z)), score);
}

/** {@link dsmLoss} of a network without features as a regression batch (`core/nn/regression.ts`). */
export function dsmRegression(
  x0: Float32Array,
  dim: number,
  sigma: number,
  z: Float32Array,
): RegressionBatch {
  return { ...dsmTarget(x0, dim, sigma, z), features: {} };
}
