/**
 * The identity that ties the two guidances together, checked with exact models. Bayes' rule gives
 * grad log p_t(x | y) = grad log p_t(x) + grad log p_t(y | x), and eps = -sqrt(1 - alphaBar_t) score,
 * so eps_y - eps = -sqrt(1 - alphaBar_t) grad_x log p_t(y | x) and
 *
 *   classifier-free at w:   (1 + w) eps_y - w eps
 *   = classifier guidance at 1 + w:   eps - (1 + w) sqrt(1 - alphaBar_t) grad_x log p_t(y | x).
 *
 * With the mixture's exact eps, component eps and component posterior, the two code paths must
 * agree to float32 rounding at every x, t, y and w; a wrong weight, sign or scale in either does not.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";

/**
 * Fraction of rows (over the time indices `ts`, with the rows `xs[i]` at `ts[i]`) where `cfg` and
 * `classifier` differ by more than `tol` (1 + |a| + |b|) in some coordinate (float32 rounding of
 * either path stays below 1e-5 of that).
 */
export function guidanceIdentityOff(
  cfg: EpsModel,
  classifier: EpsModel,
  ts: number[],
  xs: tf.Tensor2D[],
  tol = 1e-3,
): number {
  let off = 0, rows = 0;
  for (const [i, t] of ts.entries()) {
    const [a, b] = tf.tidy(() => [cfg(xs[i], t), classifier(xs[i], t)]);
    const av = a.dataSync(), bv = b.dataSync();
    tf.dispose([a, b]);
    const dim = xs[i].shape[1];
    for (let r = 0; r < av.length; r += dim) {
      let far = false;
      for (let d = r; d < r + dim; d++) {
        far ||= !(Math.abs(av[d] - bv[d]) <= tol * (1 + Math.abs(av[d]) + Math.abs(bv[d])));
      }
      if (far) off++;
      rows++;
    }
  }
  return off / rows;
}
