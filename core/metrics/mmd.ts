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
import { MmdSums } from "../kernels/mmd_kernel.ts";

/** The bandwidths h of the summed RBF kernel. */
export const MMD_BANDWIDTHS: readonly number[] = [0.1, 0.2, 0.5, 1, 2];

const CUTOFF = 40;

/** The summed kernel's coefficients c_h = 1 / (2 h^2), and their integer ratios to the smallest. */
interface KernelBands {
  c: Float64Array;
  /** c_h / c_min when every one is an integer (at most 4096), else null. */
  ratios: Int32Array | null;
}

function bandsOf(bandwidths: readonly number[]): KernelBands {
  const c = Float64Array.from(bandwidths, (h) => 1 / (2 * h * h));
  const cMin = Math.min(...c);
  const ratios = Array.from(c, (cb) => cb / cMin);
  const integral = ratios.every((r) => Math.abs(r - Math.round(r)) < 1e-9 && r <= 4096);
  return { c, ratios: integral ? Int32Array.from(ratios, Math.round) : null };
}

/**
 * The summed kernel as a function of d2 = |x - y|^2. When every c_h is an integer multiple r_h of
 * the smallest (the default bandwidths: 1, 4, 16, 100, 400 times 1/8), exp(-d2 c_h) = e^{r_h}
 * with e = exp(-d2 c_min): one exp per pair instead of five, the powers by repeated squaring
 * (relative difference from five exps ~1e-13). The pair sums then run in WebAssembly
 * (`MmdSums`), which computes these very values; this function is their plain definition.
 */
export function kernelOf(bandwidths: readonly number[]): (d2: number) => number {
  const { c, ratios } = bandsOf(bandwidths);
  if (!ratios) {
    return (d2) => {
      let k = 0;
      for (let b = 0; b < c.length; b++) {
        const a = d2 * c[b];
        if (a < CUTOFF) k += Math.exp(-a);
      }
      return k;
    };
  }
  const cMin = Math.min(...c);
  return (d2) => {
    if (d2 * cMin >= CUTOFF) return 0;
    const e = Math.exp(-d2 * cMin);
    let k = 0;
    for (let b = 0; b < ratios.length; b++) {
      if (d2 * c[b] >= CUTOFF) continue;
      let p = 1, base = e, n = ratios[b];
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

/** The pair sums of one kernel: in WebAssembly for integral ratios, else plain loops. */
interface PairSums {
  within(x: Float64Array, n: number, dim: number): number;
  cross(x: Float64Array, n: number, y: Float64Array, m: number, dim: number): number;
  matrix(x: Float64Array, n: number, dim: number): Float64Array;
}

function pairSumsOf(bandwidths: readonly number[]): PairSums {
  const bands = bandsOf(bandwidths);
  if (bands.ratios) return new MmdSums(bands.c, bands.ratios);
  const k = kernelOf(bandwidths);
  return {
    within: (x, n, dim) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) s += k(dist2(x, i, x, j, dim));
      }
      return s;
    },
    cross: (x, n, y, m, dim) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) s += k(dist2(x, i, y, j, dim));
      }
      return s;
    },
    matrix: (x, n, dim) => {
      const K = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) K[i * n + j] = K[j * n + i] = k(dist2(x, i, x, j, dim));
      }
      return K;
    },
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
function withinMean(x: Float64Array, n: number, dim: number, sums: PairSums): number {
  return (2 * sums.within(x, n, dim)) / (n * (n - 1));
}

/** Mean of k over all pairs (x_i, y_j). */
function crossMean(
  x: Float64Array,
  n: number,
  y: Float64Array,
  m: number,
  dim: number,
  sums: PairSums,
): number {
  return sums.cross(x, n, y, m, dim) / (n * m);
}

/**
 * A fixed reference sample with its within-sample kernel mean computed once, so that many sample
 * sets (samplers, step counts) are compared to it at the cost of their own terms only.
 */
export class MmdReference {
  readonly n: number;
  readonly #sums: PairSums;
  readonly #y: Float64Array;
  readonly #withinY: number;
  readonly #recent: { x: Float64Array; value: number }[] = [];

  constructor(
    readonly y: ArrayLike<number>,
    readonly dim: number,
    readonly bandwidths: readonly number[] = MMD_BANDWIDTHS,
  ) {
    this.n = checkPoints("reference sample", y, dim, 2);
    this.#sums = pairSumsOf(bandwidths);
    this.#y = Float64Array.from(y);
    this.#withinY = withinMean(this.#y, this.n, dim, this.#sums);
  }

  /**
   * Unbiased MMD^2 between `x` and the reference. The last few sample sets are remembered by
   * their bits: a run that measures the same samples twice (a curve's last point and the final
   * figures) pays once, and gets the same number.
   */
  mmd2(x: ArrayLike<number>): number {
    const n = checkPoints("samples", x, this.dim, 2);
    const x64 = Float64Array.from(x);
    const seen = this.#recent.find((r) => sameBits(r.x, x64));
    if (seen) return seen.value;
    const value = withinMean(x64, n, this.dim, this.#sums) + this.#withinY -
      2 * crossMean(x64, n, this.#y, this.n, this.dim, this.#sums);
    this.#recent.unshift({ x: x64, value });
    this.#recent.length = Math.min(this.#recent.length, RECENT);
    return value;
  }
}

/** How many sample sets an {@link MmdReference} remembers. */
const RECENT = 4;

/** Do two float64 arrays hold the same bits? */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const u = new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
  const v = new Uint32Array(b.buffer, b.byteOffset, 2 * b.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}

/** The indices labelled 1 into `inX` and the others into `rest`, each ascending. */
function splitGroups(labels: Uint8Array, inX: Int32Array, rest: Int32Array): void {
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (labels[i]) inX[a++] = i;
    else rest[b++] = i;
  }
}

/**
 * sums[g] = the sum of K[i][j] over pairs i < j of groups[g] (n ascending indices each), in order
 * of i then j, for g < 2 `labellings`. The groups' sums run side by side, each its own chain of
 * adds in its own order (the same bits as one group at a time; the core overlaps the chains). One
 * labelling (the observed one, once a test) fills both halves, the second discarded.
 */
function withinSums(
  K: Float64Array,
  N: number,
  groups: Int32Array[],
  labellings: number,
  sums: Float64Array,
): void {
  const [g0, g1] = groups;
  const [g2, g3] = labellings === 2 ? [groups[2], groups[3]] : [g0, g1];
  const n = g0.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let a = 0; a < n; a++) {
    const r0 = g0[a] * N, r1 = g1[a] * N, r2 = g2[a] * N, r3 = g3[a] * N;
    for (let b = a + 1; b < n; b++) {
      s0 += K[r0 + g0[b]];
      s1 += K[r1 + g1[b]];
      s2 += K[r2 + g2[b]];
      s3 += K[r3 + g3[b]];
    }
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
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
  const pooled = new Float64Array(N * dim);
  for (let i = 0; i < n * dim; i++) {
    pooled[i] = x[i];
    pooled[n * dim + i] = y[i];
  }
  const K = pairSumsOf(o.bandwidths ?? MMD_BANDWIDTHS).matrix(pooled, N, dim);
  let total = 0;
  for (let i = 0; i < N * N; i++) total += K[i];
  // A labelling's statistic from its two within-group sums (pairs i < j).
  const statistic = (sxx: number, syy: number) => {
    const sxy = (total - 2 * sxx - 2 * syy) / 2;
    return (2 * sxx + 2 * syy) / (n * (n - 1)) - (2 * sxy) / (n * n);
  };
  const groups = [0, 1, 2, 3].map(() => new Int32Array(n));
  const sums = new Float64Array(4);
  const labels = new Uint8Array(N);
  labels.fill(1, 0, n);
  splitGroups(labels, groups[0], groups[1]);
  withinSums(K, N, groups, 1, sums);
  const observed = statistic(sums[0], sums[1]);
  // Permutations two at a time (drawn in order): four sums in flight.
  let atLeast = 0;
  for (let p = 0; p < o.permutations; p += 2) {
    const pair = Math.min(2, o.permutations - p);
    for (let q = 0; q < pair; q++) {
      const perm = o.stream.permutation(N);
      labels.fill(0);
      for (let i = 0; i < n; i++) labels[perm[i]] = 1;
      splitGroups(labels, groups[2 * q], groups[2 * q + 1]);
    }
    withinSums(K, N, groups, pair, sums);
    for (let q = 0; q < pair; q++) {
      if (statistic(sums[2 * q], sums[2 * q + 1]) >= observed) atLeast++;
    }
  }
  return { mmd2: observed, pValue: (1 + atLeast) / (1 + o.permutations) };
}
