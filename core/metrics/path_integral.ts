/**
 * What a score field says about the relative weights of modes.
 *
 * For a conservative field s = grad log p, the line integral along any path from a to b is
 * log p(b) - log p(a). Between two mode centres it is the log-ratio of the densities there, which
 * Langevin dynamics that crosses between the modes turns into their mass ratio. A learned score
 * can be accurate where the data are and still integrate to the wrong log-ratio through the
 * low-density gap between modes: the implied log-weight error is the learned integral minus the
 * exact one.
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** ∫_a^b s(x) · dx along the straight segment, by the trapezoid rule with n intervals. */
export function lineIntegral(
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  a: number[],
  b: number[],
  n = 400,
): number {
  const pts = new Float32Array(2 * (n + 1));
  for (let i = 0; i <= n; i++) {
    pts[2 * i] = a[0] + (i / n) * (b[0] - a[0]);
    pts[2 * i + 1] = a[1] + (i / n) * (b[1] - a[1]);
  }
  const v = tidyValues(() => score(tf.tensor2d(pts, [n + 1, 2])));
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 0.5 : 1;
    total += w * (v[2 * i] * (b[0] - a[0]) + v[2 * i + 1] * (b[1] - a[1]));
  }
  return total / n;
}

/** One implied log-weight comparison: mode 0 to mode `to` at noise level sigma. */
export interface LogWeightError {
  sigma: number;
  to: number;
  learned: number;
  exact: number;
  error: number;
}

/**
 * Learned minus exact line integral of the score from the first mode centre to every other one, at
 * each noise level (scores of the data convolved with N(0, sigma^2 I)).
 */
export function logWeightErrors(
  learned: ScoreFn,
  exact: ScoreFn,
  means: readonly (readonly number[])[],
  sigmas: ArrayLike<number>,
): LogWeightError[] {
  const out: LogWeightError[] = [];
  for (const sigma of Array.from(sigmas)) {
    for (let k = 1; k < means.length; k++) {
      const a = means[0] as number[], b = means[k] as number[];
      const l = lineIntegral((x) => learned(x, sigma), a, b);
      const e = lineIntegral((x) => exact(x, sigma), a, b);
      out.push({ sigma, to: k, learned: l, exact: e, error: l - e });
    }
  }
  return out;
}

/** Largest |error| over the levels sigma >= sigmaMax / 10 (where samples still cross between modes). */
export function topDecadeError(rows: LogWeightError[], sigmaMax: number): number {
  return Math.max(
    ...rows.filter((r) => r.sigma >= sigmaMax / 10 - 1e-12).map((r) => Math.abs(r.error)),
  );
}
