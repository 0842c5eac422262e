/**
 * Bayesian linear regression in two weights, the target of SGLD (seed 002, "Advanced topics"):
 *
 *   y_i = x_i . w + sigma_y e_i,  x_i ~ N(0, I_2),  prior w ~ N(0, I / priorPrecision),
 *
 * whose posterior is Gaussian in closed form: S = (priorPrecision I + X^T X / sigma_y^2)^-1,
 * m = S X^T y / sigma_y^2. The gradient of log p(w | D) over a minibatch B (the SGLD estimate):
 *   -priorPrecision w + (N / |B|) sum_{i in B} x_i (y_i - x_i . w) / sigma_y^2.
 */
import type { Stream } from "../runtime/random.ts";

/** A regression data set: N rows of x (2 per row) and y, with its noise and prior. */
export interface Regression {
  x: Float64Array;
  y: Float64Array;
  noiseStd: number;
  priorPrecision: number;
}

/** `n` rows drawn with true weights `w` (stream `data`). */
export function sampleRegression(
  n: number,
  w: [number, number],
  noiseStd: number,
  priorPrecision: number,
  stream: Stream,
): Regression {
  const x = new Float64Array(2 * n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = stream.normal();
    x[2 * i + 1] = stream.normal();
    y[i] = x[2 * i] * w[0] + x[2 * i + 1] * w[1] + noiseStd * stream.normal();
  }
  return { x, y, noiseStd, priorPrecision };
}

/** The exact posterior N(mean, cov) (cov as [s00, s01, s11]). */
export function regressionPosterior(
  r: Regression,
): { mean: [number, number]; cov: [number, number, number] } {
  const v = r.noiseStd ** 2, n = r.y.length;
  let a = r.priorPrecision, b = 0, d = r.priorPrecision, u0 = 0, u1 = 0;
  for (let i = 0; i < n; i++) {
    const x0 = r.x[2 * i], x1 = r.x[2 * i + 1];
    a += x0 * x0 / v;
    b += x0 * x1 / v;
    d += x1 * x1 / v;
    u0 += x0 * r.y[i] / v;
    u1 += x1 * r.y[i] / v;
  }
  const det = a * d - b * b;
  const cov: [number, number, number] = [d / det, -b / det, a / det];
  return { mean: [cov[0] * u0 + cov[1] * u1, cov[1] * u0 + cov[2] * u1], cov };
}

/**
 * grad log p(w | D) at weights w (2 numbers) estimated on the rows `batch` (all rows if omitted),
 * written into `out`.
 */
export function regressionGradient(
  r: Regression,
  w: ArrayLike<number>,
  out: Float64Array,
  batch?: Int32Array,
): void {
  const n = r.y.length, m = batch ? batch.length : n, v = r.noiseStd ** 2;
  let g0 = 0, g1 = 0;
  for (let k = 0; k < m; k++) {
    const i = batch ? batch[k] : k;
    const x0 = r.x[2 * i], x1 = r.x[2 * i + 1];
    const res = (r.y[i] - x0 * w[0] - x1 * w[1]) / v;
    g0 += x0 * res;
    g1 += x1 * res;
  }
  out[0] = -r.priorPrecision * w[0] + (n / m) * g0;
  out[1] = -r.priorPrecision * w[1] + (n / m) * g1;
}
