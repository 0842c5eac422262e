/**
 * Maximum mean discrepancy, computed in float64 on the CPU (independent of the tfjs backend).
 *
 *   k(x, y) = sum_{h in H} exp(-|x - y|^2 / (2 h^2)),  H = {0.1, 0.2, 0.5, 1, 2}
 *   MMD^2_u = 1/(n(n-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j)
 *             - 2/(n m) sum_{i, j} k(x_i, y_j)
 *
 * the unbiased estimator (Gretton et al. 2012): it is centred on 0 for two samples of one law, so
 * it can be slightly negative. A term exp(-a) with a > 40 (below 5e-18) is skipped.
 */
import type { Stream } from "../runtime/random.ts";
import { checkPoints } from "./points.ts";

/** The bandwidths h of the summed RBF kernel. */
export const MMD_BANDWIDTHS: readonly number[] = [0.1, 0.2, 0.5, 1, 2];

const CUTOFF = 40;

/**
 * The summed kernel as a function of d2 = |x - y|^2, with its coefficients c_h = 1 / (2 h^2).
 * When every c_h is an integer multiple r_h of the smallest (the default bandwidths: 1, 4, 16,
 * 100, 400 times 1/8), exp(-d2 c_h) = e^{r_h} with e = exp(-d2 c_min): one exp per pair instead
 * of five, the powers by repeated squaring (relative difference from five exps ~1e-13).
 */
function kernelOf(bandwidths: readonly number[]): (d2: number) => number {
  const c = Float64Array.from(bandwidths, (h) => 1 / (2 * h * h));
  const cMin = Math.min(...c);
  const ratios = Array.from(c, (cb) => cb / cMin);
  const integral = ratios.every((r) => Math.abs(r - Math.round(r)) < 1e-9 && r <= 4096);
  if (!integral) {
    return (d2) => {
      let k = 0;
      for (let b = 0; b < c.length; b++) {
        const a = d2 * c[b];
        if (a < CUTOFF) k += Math.exp(-a);
      }
      return k;
    };
  }
  const r = Int32Array.from(ratios, Math.round);
  return (d2) => {
    if (d2 * cMin >= CUTOFF) return 0;
    const e = Math.exp(-d2 * cMin);
    let k = 0;
    for (let b = 0; b < r.length; b++) {
      if (d2 * c[b] >= CUTOFF) continue;
      let p = 1, base = e, n = r[b];
      while (n > 0) {
        if (n & 1) p *= base;
        base *= base;
        n >>= 1;
      }
      k += p;
    }
    return k;
  };
}

function dist2(x: Float64Array, i: number, y: Float64Array, j: number, dim: number) {
  let d2 = 0;
  for (let d = 0; d < dim; d++) {
    const diff = x[i * dim + d] - y[j * dim + d];
    d2 += diff * diff;
  }
  return d2;
}

/** Mean of k over distinct pairs of rows of x (i != j). */
function withinMean(x: Float64Array, n: number, dim: number, k: (d2: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += k(dist2(x, i, x, j, dim));
  }
  return (2 * s) / (n * (n - 1));
}

/** Mean of k over all pairs (x_i, y_j). */
function crossMean(
  x: Float64Array,
  n: number,
  y: Float64Array,
  m: number,
  dim: number,
  k: (d2: number) => number,
): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) s += k(dist2(x, i, y, j, dim));
  }
  return s / (n * m);
}

/**
 * A fixed reference sample with its within-sample kernel mean computed once, so that many sample
 * sets (samplers, step counts) are compared to it at the cost of their own terms only.
 */
export class MmdReference {
  readonly n: number;
  readonly #k: (d2: number) => number;
  readonly #y: Float64Array;
  readonly #withinY: number;

  constructor(
    readonly y: ArrayLike<number>,
    readonly dim: number,
    readonly bandwidths: readonly number[] = MMD_BANDWIDTHS,
  ) {
    this.n = checkPoints("reference sample", y, dim, 2);
    this.#k = kernelOf(bandwidths);
    this.#y = Float64Array.from(y);
    this.#withinY = withinMean(this.#y, this.n, dim, this.#k);
  }

  /** Unbiased MMD^2 between `x` and the reference. */
  mmd2(x: ArrayLike<number>): number {
    const n = checkPoints("samples", x, this.dim, 2);
    const x64 = Float64Array.from(x);
    return withinMean(x64, n, this.dim, this.#k) + this.#withinY -
      2 * crossMean(x64, n, this.#y, this.n, this.dim, this.#k);
  }
}

/** Unbiased MMD^2 between two samples (rows of `dim` numbers). */
export function mmd2(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dim: number,
  bandwidths: readonly number[] = MMD_BANDWIDTHS,
): number {
  return new MmdReference(y, dim, bandwidths).mmd2(x);
}

/**
 * Permutation test of "x and y come from one law" with the MMD^2_u statistic: the first `size`
 * rows of each are pooled, relabelled at random `permutations` times, and
 * p = (1 + #{permuted statistic >= observed}) / (1 + permutations).
 */
export function mmdPermutationTest(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dim: number,
  o: { size: number; permutations: number; stream: Stream; bandwidths?: readonly number[] },
): { mmd2: number; pValue: number } {
  const n = Math.min(
    o.size,
    checkPoints("samples", x, dim, 2),
    checkPoints("reference", y, dim, 2),
  );
  const N = 2 * n;
  const k = kernelOf(o.bandwidths ?? MMD_BANDWIDTHS);
  const pooled = new Float64Array(N * dim);
  for (let i = 0; i < n * dim; i++) {
    pooled[i] = x[i];
    pooled[n * dim + i] = y[i];
  }
  const K = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      K[i * N + j] = K[j * N + i] = k(dist2(pooled, i, pooled, j, dim));
    }
  }
  let total = 0;
  for (let i = 0; i < N * N; i++) total += K[i];
  const statistic = (inX: Uint8Array) => {
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        if (inX[i] & inX[j]) sxx += K[i * N + j];
        else if (!inX[i] && !inX[j]) syy += K[i * N + j];
      }
    }
    const sxy = (total - 2 * sxx - 2 * syy) / 2;
    return (2 * sxx + 2 * syy) / (n * (n - 1)) - (2 * sxy) / (n * n);
  };
  const labels = new Uint8Array(N);
  labels.fill(1, 0, n);
  const observed = statistic(labels);
  let atLeast = 0;
  for (let p = 0; p < o.permutations; p++) {
    const perm = o.stream.permutation(N);
    const permuted = new Uint8Array(N);
    for (let i = 0; i < n; i++) permuted[perm[i]] = 1;
    if (statistic(permuted) >= observed) atLeast++;
  }
  return { mmd2: observed, pValue: (1 + atLeast) / (1 + o.permutations) };
}
