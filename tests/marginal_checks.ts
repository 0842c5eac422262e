/**
 * Identities every closed-form noised marginal of a 2-d law must satisfy (the ring's and the swiss
 * roll's), shared by their tests: the score is the gradient of the log-density, the density
 * integrates to 1, and Stein's identity E[x . score] = -d holds on draws of the law.
 */
import assert from "node:assert/strict";
import type { Stream } from "../core/runtime/random.ts";

/** A noised marginal at a x0 + s eps: log-density and score at rows of x (2 columns). */
export type Marginal = (
  x: ArrayLike<number>,
  a: number,
  s: number,
) => { logDensity: Float64Array; score: Float64Array };

/** The score equals central differences of the log-density at 20 points of N(0, spread^2 I). */
export function assertScoreIsGradient(
  marginal: Marginal,
  a: number,
  s: number,
  stream: Stream,
  spread: number,
): void {
  const x = Float64Array.from({ length: 40 }, () => spread * stream.normal());
  const { score } = marginal(x, a, s);
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const up = Float64Array.from(x), down = Float64Array.from(x);
    up[i] += h;
    down[i] -= h;
    const row = Math.floor(i / 2);
    const fd = (marginal(up, a, s).logDensity[row] - marginal(down, a, s).logDensity[row]) /
      (2 * h);
    assert.ok(
      Math.abs(fd - score[i]) <= 1e-5 * Math.max(1, Math.abs(fd)),
      `a=${a} s=${s}: d/dx_${i % 2} ${fd} vs ${score[i]}`,
    );
  }
}

/** The integral of the density over [-5, 5]^2 by the midpoint rule on an n x n grid. */
export function gridIntegral(marginal: Marginal, a: number, s: number, n: number): number {
  const lo = -5, step = 10 / n;
  const x = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      x[2 * (i * n + j)] = lo + (i + 0.5) * step;
      x[2 * (i * n + j) + 1] = lo + (j + 0.5) * step;
    }
  }
  return marginal(x, a, s).logDensity.reduce((t, l) => t + Math.exp(l), 0) * step * step;
}

/**
 * Stein's identities on n draws x = a x0 + s eps (x0 = the law's draws): the mean score (E s = 0),
 * the mean of x . s with its standard error (E[x . s] = -2 in 2-d), and the whole matrix
 * E[x_i s_j] = -delta_ij with its standard errors (integration by parts, coordinate by coordinate).
 * All hold only if the marginal is the law the points were drawn from; the matrix also sees a
 * sampler whose noise differs between the coordinates while the trace stays near -2.
 */
export function steinMeans(
  marginal: Marginal,
  x0: ArrayLike<number>,
  a: number,
  s: number,
  noise: Stream,
): {
  mean: [number, number];
  dot: number;
  se: number;
  matrix: number[][];
  matrixSe: number[][];
} {
  const n = x0.length / 2;
  const x = Float64Array.from(x0, (v) => a * v + s * noise.normal());
  const { score } = marginal(x, a, s);
  let mean0 = 0, mean1 = 0, dot = 0, sq = 0;
  const m = [[0, 0], [0, 0]], m2 = [[0, 0], [0, 0]];
  for (let k = 0; k < n; k++) {
    mean0 += score[2 * k] / n;
    mean1 += score[2 * k + 1] / n;
    const d = x[2 * k] * score[2 * k] + x[2 * k + 1] * score[2 * k + 1];
    dot += d / n;
    sq += d * d / n;
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const v = x[2 * k + i] * score[2 * k + j];
        m[i][j] += v / n;
        m2[i][j] += v * v / n;
      }
    }
  }
  const matrixSe = m.map((row, i) => row.map((v, j) => Math.sqrt((m2[i][j] - v * v) / n)));
  return { mean: [mean0, mean1], dot, se: Math.sqrt((sq - dot * dot) / n), matrix: m, matrixSe };
}

/** E[x_i s_j] = -delta_ij within 5 standard errors (see {@link steinMeans}). */
export function assertSteinMatrix(
  r: { matrix: number[][]; matrixSe: number[][] },
  what: string,
): void {
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const want = i === j ? -1 : 0;
      assert.ok(
        Math.abs(r.matrix[i][j] - want) < 5 * r.matrixSe[i][j],
        `${what}: E[x_${i} s_${j}] = ${r.matrix[i][j]} ± ${r.matrixSe[i][j]}, want ${want}`,
      );
    }
  }
}

/**
 * The quadrature has converged: at 2000 draws x = a x0 + s eps of the noised law, the log-density
 * and the score at the default quadrature agree with `finer` (4 times the points) to 1e-9 (the
 * score relative to max(1, |score|)). Measured: 4e-12 or less for the ring and 3e-11 for the swiss
 * roll; a third of the ring's angles is off by up to 9e-6 (log-density) and 5e-4 (score) for
 * s <= 0.3, the swiss roll's old trapezoid rule by 3e-2. The oracles are read in float32 (6e-8), so 1e-9 leaves them exact for every use.
 */
export function assertQuadratureConverged(
  marginal: (x: ArrayLike<number>) => { logDensity: Float64Array; score: Float64Array },
  finer: (x: ArrayLike<number>) => { logDensity: Float64Array; score: Float64Array },
  x0: ArrayLike<number>,
  a: number,
  s: number,
  noise: Stream,
): void {
  const x = Float64Array.from(x0, (v) => a * v + s * noise.normal());
  const got = marginal(x), want = finer(x);
  let dLog = 0, dScore = 0;
  for (let i = 0; i < x.length / 2; i++) {
    dLog = Math.max(dLog, Math.abs(got.logDensity[i] - want.logDensity[i]));
    const size = Math.max(1, Math.hypot(want.score[2 * i], want.score[2 * i + 1]));
    for (let d = 0; d < 2; d++) {
      dScore = Math.max(dScore, Math.abs(got.score[2 * i + d] - want.score[2 * i + d]) / size);
    }
  }
  assert.ok(dLog <= 1e-9, `a=${a} s=${s}: log-density off the finer rule by ${dLog}`);
  assert.ok(dScore <= 1e-9, `a=${a} s=${s}: score off the finer rule by ${dScore} (relative)`);
}
