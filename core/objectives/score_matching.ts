/**
 * Exact score matching (Hyvarinen 2005), seed 002:
 *
 *   L(theta) = E_{x ~ p_data}[ tr(grad_x s_theta(x)) + 1/2 |s_theta(x)|^2 ]
 *
 * equal to 1/2 E|s_theta - grad log p|^2 up to a constant. The trace is exact, sum_i (J e_i)_i: with
 * the score's forward-mode derivative (a network's `jvp`: the d tangents e_i ride along one forward
 * pass) when it has one, else one backward pass per dimension.
 */
import * as tf from "@tensorflow/tfjs";

/** A score function of x, optionally with its directional derivatives J v_k (forward mode). */
export interface ScoreFunction {
  (x: tf.Tensor2D): tf.Tensor2D;
  jvp?: (
    x: tf.Tensor2D,
    tangents: tf.Tensor2D[],
  ) => { value: tf.Tensor2D; tangents: tf.Tensor2D[] };
}

/** The exact score-matching loss of `score` on data rows x [N, d]. */
export function exactScoreMatchingLoss(score: ScoreFunction, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [n, d] = x.shape;
    const basis = Array.from(
      { length: d },
      (_, i) => tf.tensor2d([Array.from({ length: d }, (_, j) => (j === i ? 1 : 0))]),
    );
    // s(x) and the trace of its Jacobian (forward mode when the score has it, else one backward
    // pass per dimension).
    let s: tf.Tensor2D;
    let trace: tf.Tensor = tf.zeros([n]);
    if (score.jvp) {
      const r = score.jvp(x, basis.map((e) => tf.tile(e, [n, 1]) as tf.Tensor2D));
      s = r.value;
      r.tangents.forEach((t, i) => trace = tf.add(trace, tf.sum(tf.mul(t, basis[i]), 1)));
    } else {
      s = score(x);
      for (let i = 0; i < d; i++) {
        const grad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(score(xx as tf.Tensor2D), basis[i])))(
          x,
        );
        trace = tf.add(trace, tf.reshape(tf.slice(grad, [0, i], [-1, 1]), [-1]));
      }
    }
    return tf.mean(tf.add(trace, tf.mul(0.5, tf.sum(tf.square(s), 1)))) as tf.Scalar;
  });
}
