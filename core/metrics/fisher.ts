/**
 * Fisher divergence of a score field against the exact score:
 *
 *   F = E_{x ~ p} |s_theta(x) - grad log p(x)|^2,
 *
 * estimated by the mean over points drawn from p (the relevant noised law), or over a grid (an
 * unweighted average that also sees the field far from the data). Accumulated in float64.
 */
import * as tf from "@tensorflow/tfjs";
import { checkPoints } from "./points.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** Mean of |model(x) - exact(x)|^2 over the rows of `points`. */
export function fisherDivergence(
  model: (x: tf.Tensor2D) => tf.Tensor2D,
  exact: (x: tf.Tensor2D) => tf.Tensor2D,
  points: Float32Array,
  dim: number,
  chunk = 4096,
): number {
  const n = checkPoints("points", points, dim);
  let total = 0;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const sq = tidyValues(() => {
      const x = tf.tensor2d(points.subarray(start * dim, (start + m) * dim), [m, dim]);
      return tf.sum(tf.square(tf.sub(model(x), exact(x))), 1);
    });
    for (let i = 0; i < m; i++) total += sq[i];
  }
  return total / n;
}

/** An n x n grid of points over [lo, hi]^2 (cell centres), row-major. */
export function gridPoints(lo: number, hi: number, n: number): Float32Array {
  const out = new Float32Array(2 * n * n);
  const h = (hi - lo) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[2 * (i * n + j)] = lo + (j + 0.5) * h;
      out[2 * (i * n + j) + 1] = lo + (i + 0.5) * h;
    }
  }
  return out;
}
