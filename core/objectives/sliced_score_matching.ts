/**
 * Sliced score matching (Song et al. 2019):
 *
 *   L(theta) = E_x E_v[ v^T grad_x(v^T s_theta(x)) + 1/2 (v^T s_theta(x))^2 ]
 *
 * with random projections v (Rademacher or standard Gaussian, one per row): one directional
 * derivative J v whatever the dimension (forward mode with the score's `jvp`, else a backward pass). For both laws E[v v^T] = I, so L equals exact score matching in
 * expectation.
 */
import { floats } from "../runtime/arrays.ts";
import * as tf from "@tensorflow/tfjs";
import type { Stream } from "../runtime/random.ts";
import type { ScoreFunction } from "./score_matching.ts";

/** Law of the projections v. */
export type Projection = "rademacher" | "gaussian";

/** Projections v [n, d] drawn from the stream. */
export function drawProjections(
  n: number,
  d: number,
  law: Projection,
  stream: Stream,
): Float32Array {
  return law === "gaussian"
    ? stream.normals(n * d)
    : floats(n * d, () => (stream.uniform() < 0.5 ? -1 : 1));
}

/** The sliced score-matching loss of `score` on data rows x [N, d] with projections v [N, d]. */
export function slicedScoreMatchingLoss(
  score: ScoreFunction,
  x: tf.Tensor2D,
  v: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    // s(x) and J v (forward mode when the score has it, else the gradient of v^T s(x)).
    let s: tf.Tensor2D, jv: tf.Tensor;
    if (score.jvp) {
      const r = score.jvp(x, [v]);
      s = r.value;
      jv = r.tangents[0];
    } else {
      s = score(x);
      jv = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(score(xx as tf.Tensor2D), v)))(x);
    }
    const vs = tf.sum(tf.mul(s, v), 1);
    return tf.mean(tf.add(tf.sum(tf.mul(jv, v), 1), tf.mul(0.5, tf.square(vs)))) as tf.Scalar;
  });
}
