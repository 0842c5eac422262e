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
 * An exact conditional score against the closed form of its Gaussian component.
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

/** |x| of each row of a flat 2-column array (float32, as the network's radius input). */
export function radii(x: Float32Array): Float32Array {
  return Float32Array.from({ length: x.length / 2 }, (_, i) => Math.hypot(x[2 * i], x[2 * i + 1]));
}

/** The 1st and 99th percentiles of the radii (lower order statistic, no interpolation). */
export function radiusRange(r: Float32Array): { low: number; high: number } {
  const sorted = Float32Array.from(r).sort();
  return {
    low: sorted[Math.floor(0.01 * (sorted.length - 1))],
    high: sorted[Math.floor(0.99 * (sorted.length - 1))],
  };
}

/** Conditional accuracy per label, its minimum and mean (see {@link conditionalAccuracy}). */
export function labelAccuracy(
  byLabel: Float32Array[],
  means: readonly (readonly number[])[],
  std: number,
): { perLabel: number[]; min: number; mean: number } {
  const perLabel = byLabel.map((x, k) => conditionalAccuracy(x, k, means, std));
  return {
    perLabel,
    min: Math.min(...perLabel),
    mean: perLabel.reduce((a, b) => a + b, 0) / perLabel.length,
  };
}

/** How the samples asked for one radius came out (see {@link radiusFollowing}). */
export interface RadiusRow {
  requested: number;
  /** Mean |x| of the samples, and mean ± one std. */
  achieved: number;
  low: number;
  high: number;
  /** Whether the request lies within the training radii's [1st, 99th] percentile range. */
  inRange: "inside" | "outside";
  [key: string]: string | number;
}

/**
 * For each requested radius (samples `byRadius[k]` asked for `requested[k]`) its {@link RadiusRow},
 * and the figures `radiusMean_r<req>`, `radiusStd_r<req>` and `radiusError_r<req>` = |mean - req|.
 */
export function radiusFollowing(
  byRadius: Float32Array[],
  requested: readonly number[],
  trained: { low: number; high: number },
): { rows: RadiusRow[]; metrics: Record<string, number> } {
  const metrics: Record<string, number> = {};
  const rows = byRadius.map((x, k): RadiusRow => {
    const s = radiusStats(x);
    const req = requested[k];
    metrics[`radiusMean_r${req}`] = s.mean;
    metrics[`radiusStd_r${req}`] = s.std;
    metrics[`radiusError_r${req}`] = Math.abs(s.mean - req);
    return {
      requested: req,
      achieved: s.mean,
      low: s.mean - s.std,
      high: s.mean + s.std,
      inRange: req >= trained.low && req <= trained.high ? "inside" : "outside",
    };
  });
  return { rows, metrics };
}

/**
 * The largest error of a label-conditional score against the closed form of its Gaussian
 * component: for x_t = a x_0 + b eps with x_0 ~ N(mu_k, std^2 I) and eps ~ N(0, I),
 * grad log q_t(x | k) = -(x - a mu_k) / (a^2 std^2 + b^2). `got` is the score at the rows of `x`,
 * row i asked for label `labels[i]`; each entry's error is relative to 1 + |closed form|.
 */
export function componentScoreOff(
  got: ArrayLike<number>,
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  means: readonly (readonly number[])[],
  std: number,
  a: number,
  b: number,
): number {
  const dim = means[0].length;
  const n = checkPoints("points", x, dim);
  if (got.length !== x.length || labels.length !== n) {
    throw new Error(
      `componentScoreOff: ${got.length} values, ${labels.length} labels for ${n} rows`,
    );
  }
  const v = a * a * std * std + b * b;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const want = -(x[i * dim + d] - a * means[labels[i]][d]) / v;
      worst = Math.max(worst, Math.abs(got[i * dim + d] - want) / (1 + Math.abs(want)));
    }
  }
  return worst;
}
