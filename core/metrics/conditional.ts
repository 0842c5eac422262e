/**
 * Metrics of conditional generation.
 *
 * Class conditioning: the conditional accuracy for label k is the fraction of the samples asked
 * for k that are high quality (within 3 std of their nearest mode) and whose nearest mode is k.
 * Guidance diagnostics, on the samples asked for k that land on mode k: their spread (RMS distance
 * to their own centroid: diversity; about sqrt(d) std for the true component) and the shift of
 * that centroid from mode k's mean (guidance pushes samples away from the other classes, so the two
 * must be told apart); and MMD^2 to mode k's component.
 * Scalar conditioning: the mean and spread of |x| against the requested radius.
 */
import { nearestMode } from "../data/mixtures.ts";
import { checkPoints } from "./points.ts";

/** Fraction of rows of x (all asked for `label`) that are high quality and nearest to `label`'s mode. */
export function conditionalAccuracy(
  x: ArrayLike<number>,
  label: number,
  means: readonly (readonly number[])[],
  std: number,
  threshold = 3,
): number {
  const n = checkPoints("samples", x, means[0].length);
  const { mode, distance } = nearestMode(means, x);
  let hits = 0;
  for (let i = 0; i < n; i++) if (mode[i] === label && distance[i] < threshold * std) hits++;
  return hits / n;
}

/**
 * Spread (RMS distance to their centroid) and shift (centroid to mode `label`'s mean) of the rows
 * nearest to that mode; null when no row is.
 */
export function withinModeSpread(
  x: ArrayLike<number>,
  label: number,
  means: readonly (readonly number[])[],
): { spread: number; shift: number } | null {
  const dim = means[0].length;
  checkPoints("samples", x, dim);
  const { mode } = nearestMode(means, x);
  const rows: number[] = [];
  for (let i = 0; i < mode.length; i++) if (mode[i] === label) rows.push(i);
  if (rows.length === 0) return null;
  const c = Array.from(
    { length: dim },
    (_, d) => rows.reduce((s, i) => s + x[i * dim + d], 0) / rows.length,
  );
  let ss = 0;
  for (const i of rows) for (let d = 0; d < dim; d++) ss += (x[i * dim + d] - c[d]) ** 2;
  const shift = Math.sqrt(c.reduce((s, v, d) => s + (v - means[label][d]) ** 2, 0));
  return { spread: Math.sqrt(ss / rows.length), shift };
}

/** Mean and standard deviation of |x| over rows (2-D radius). */
export function radiusStats(x: ArrayLike<number>, dim = 2): { mean: number; std: number } {
  const n = checkPoints("samples", x, dim);
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let d = 0; d < dim; d++) r2 += x[i * dim + d] ** 2;
    const r = Math.sqrt(r2);
    s += r;
    s2 += r * r;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(s2 / n - mean * mean, 0)) };
}
