/**
 * The small statistics the quality gate needs, in float64: summary statistics, Student's t
 * distribution (CDF and quantile), Welch's two-sample t-test and Holm's step-down correction.
 *
 *   t CDF:  F(t; nu) = 1 - I_{nu / (nu + t^2)}(nu/2, 1/2) / 2   for t >= 0 (symmetric below),
 *
 * with I_x(a, b) the regularized incomplete beta function (continued fraction, modified Lentz).
 */

/** The mean of a list (summed left to right in float64). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Mean loss of each block of `size` steps (per epoch, or per display bucket); the last block may be shorter. */
export function blockMeans(losses: Float32Array, size: number): number[] {
  const out: number[] = [];
  for (let e = 0; e * size < losses.length; e++) {
    let s = 0;
    const m = Math.min(size, losses.length - e * size);
    for (let i = 0; i < m; i++) s += losses[e * size + i];
    out.push(s / m);
  }
  return out;
}

/** Mean, sample standard deviation (n - 1), minimum and maximum of a list. */
export function summary(values: readonly number[]): {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
} {
  const n = values.length;
  if (n === 0) throw new RangeError("summary of an empty list");
  const min = Math.min(...values), max = Math.max(...values);
  // Equal values have no spread (the rounding of their sum must not invent one).
  if (min === max) return { n, mean: min, sd: 0, min, max };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, min, max };
}

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), x in [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(x, a, b)) / a
    : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** CDF of Student's t with `nu` degrees of freedom (nu may be fractional, as Welch's is). */
export function studentTCdf(t: number, nu: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t: the t with CDF p (bisection to 1e-12). */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`t quantile of p = ${p}`);
  let lo = -1e6, hi = 1e6;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, nu) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The outcome of a one-sided Welch test. */
export interface WelchTest {
  /** Difference of means, b - a. */
  diff: number;
  t: number;
  df: number;
  /** P(T >= t) under "b's mean is not above a's". */
  p: number;
}

/**
 * Welch's one-sided test that the mean of `b` exceeds the mean of `a` (unequal variances):
 * t = (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite degrees of freedom.
 * When both samples are constant the difference is exact: p is 0 if b's value is higher, else 1.
 */
export function welchGreater(a: readonly number[], b: readonly number[]): WelchTest {
  const sa = summary(a), sb = summary(b);
  const diff = sb.mean - sa.mean;
  const va = sa.sd ** 2 / sa.n, vb = sb.sd ** 2 / sb.n;
  const se2 = va + vb;
  if (se2 === 0) {
    return { diff, t: diff > 0 ? Infinity : -Infinity, df: Infinity, p: diff > 0 ? 0 : 1 };
  }
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) /
    ((sa.n > 1 ? (va * va) / (sa.n - 1) : 0) + (sb.n > 1 ? (vb * vb) / (sb.n - 1) : 0));
  return { diff, t, df, p: 1 - studentTCdf(t, df) };
}

/**
 * Holm's step-down correction: which of the hypotheses with these p-values are rejected at
 * family-wise error rate `alpha` (the smallest p against alpha / m, the next against
 * alpha / (m - 1), ..., stopping at the first that is not rejected).
 */
export function holmRejects(pValues: readonly number[], alpha: number): boolean[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const out = new Array<boolean>(pValues.length).fill(false);
  for (let k = 0; k < order.length; k++) {
    if (order[k].p > alpha / (order.length - k)) break;
    out[order[k].i] = true;
  }
  return out;
}
