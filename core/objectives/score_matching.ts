/**
 * Exact score matching (Hyvarinen 2005), seed 002:
 *
 *   L(theta) = E_{x ~ p_data}[ tr(grad_x s_theta(x)) + 1/2 |s_theta(x)|^2 ]
 *
 * equal to 1/2 E|s_theta - grad log p|^2 up to a constant. The trace is exact: one backward pass per
 * dimension (d(s_i)/d(x_i) for each i), fine in 2-D.
 */
import * as tf from "@tensorflow/tfjs";

/** The exact score-matching loss of `score` on data rows x [N, d]. */
export function exactScoreMatchingLoss(
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  x: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const d = x.shape[1];
    const s = score(x);
    let trace: tf.Tensor = tf.zeros([x.shape[0]]);
    for (let i = 0; i < d; i++) {
      const e = tf.tensor2d([Array.from({ length: d }, (_, j) => (j === i ? 1 : 0))]);
      const grad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(score(xx as tf.Tensor2D), e)))(x);
      trace = tf.add(trace, tf.reshape(tf.slice(grad, [0, i], [-1, 1]), [-1]));
    }
    return tf.mean(tf.add(trace, tf.mul(0.5, tf.sum(tf.square(s), 1)))) as tf.Scalar;
  });
}
