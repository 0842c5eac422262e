/**
 * Denoising score matching at one noise level (Vincent 2011), seeds 002 and 004:
 *
 *   L(theta) = E_{x ~ p_data, z ~ N(0, I)} 1/2 |s_theta(x + sigma z) + z / sigma|^2
 *
 * whose minimiser is the score of the data convolved with N(0, sigma^2 I). In 2-D, 1/2 |.|^2 equals
 * the mean over coordinates that seed 004's `((pred - target)**2).mean()` computes.
 */
import * as tf from "@tensorflow/tfjs";
import type { RegressionBatch } from "../nn/regression.ts";

const f32 = Math.fround;

/** The DSM loss of `score` on data rows x0 [N, d] with noise z [N, d] at level sigma. */
export function dsmLoss(
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  x0: tf.Tensor2D,
  sigma: number,
  z: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const pred = score(tf.add(x0, tf.mul(sigma, z)) as tf.Tensor2D);
    return tf.mul(0.5, tf.mean(tf.sum(tf.square(tf.add(pred, tf.div(z, sigma))), 1))) as tf.Scalar;
  });
}

/**
 * {@link dsmLoss} of a network without features as a regression batch (`core/nn/regression.ts`):
 * input x0 + sigma z, target -z / sigma, half the mean over rows of the squared error (the same
 * float32 operations as the loss's tensor ops).
 */
export function dsmRegression(
  x0: Float32Array,
  dim: number,
  sigma: number,
  z: Float32Array,
): RegressionBatch {
  const s = f32(sigma);
  const n = x0.length / dim;
  return {
    x: tf.tensor2d(Float32Array.from(x0, (v, i) => f32(v + f32(s * z[i]))), [n, dim]),
    features: {},
    target: Float32Array.from(z, (v) => -f32(v / s)),
    reduce: "halfRowSum",
  };
}
