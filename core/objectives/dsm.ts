/**
 * Denoising score matching at one noise level (Vincent 2011), seeds 002 and 004:
 *
 *   L(theta) = E_{x ~ p_data, z ~ N(0, I)} 1/2 |s_theta(x + sigma z) + z / sigma|^2
 *
 * whose minimiser is the score of the data convolved with N(0, sigma^2 I). In 2-D, 1/2 |.|^2 equals
 * the mean over coordinates that seed 004's `((pred - target)**2).mean()` computes.
 */
import * as tf from "@tensorflow/tfjs";

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
