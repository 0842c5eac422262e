/**
 * The swiss roll's law (`sampleSwissRoll`: t uniform on [1.5 pi, 4.5 pi], x0 = c(t) / 4 + 0.125 z,
 * c(t) = (t cos t, t sin t)) and the exact score of its noised marginal, the law of a x0 + s eps.
 *
 * For a fixed t, a x0 + s eps is N(a c(t) / 4, v^2 I) with v^2 = a^2 / 64 + s^2, so
 *
 *   q(x) = 1/(3 pi) int N(x; a c(t)/4, v^2 I) dt,   grad log q(x) = E_{t | x}[(a c(t)/4 - x)] / v^2,
 *
 * integrated by 8-point Gauss-Legendre rules on equal panels of t, each panel at most 2 v long
 * along the curve (|c'(t)| = sqrt(1 + t^2)); float64, log-sum-exp weights. Against 4 times as many
 * panels the log-density and the score agree to ~3e-11 (tests/swiss_roll_test.ts); the trapezoid
 * rule this replaces (points v / 3 apart) was off by up to 3e-2 near the roll's ends, its O(h^2)
 * end error.
 */
import { gaussLegendrePanels } from "./quadrature.ts";

/** Gauss-Legendre points per panel of the marginal's quadrature. */
const GAUSS_POINTS = 8;

/** The roll's parameter range, scale and noise (as `sampleSwissRoll` draws it). */
export const SWISS_ROLL = { tMin: 1.5 * Math.PI, tMax: 4.5 * Math.PI, scale: 0.25, std: 0.125 };

/** Panels of the marginal's quadrature with coefficients (a, s): each at most 2 v long, at least 8. */
export function swissRollPanels(a: number, s: number): number {
  const { tMin, tMax, scale, std } = SWISS_ROLL;
  const v = Math.sqrt(a * a * std * std + s * s);
  const speed = a * scale * Math.sqrt(1 + tMax * tMax);
  return Math.min(Math.max(8, Math.ceil(((tMax - tMin) * speed) / (2 * v))), 1 << 13);
}

/**
 * log q(x) and grad log q(x) of the noised swiss roll at rows of x (flat, 2 per row), in float64, on
 * `panels` Gauss-Legendre panels (by default {@link swissRollPanels}).
 */
export function swissRollMarginal(
  x: ArrayLike<number>,
  a: number,
  s: number,
  panels: number = swissRollPanels(a, s),
): { logDensity: Float64Array; score: Float64Array } {
  const { tMin, tMax, scale, std } = SWISS_ROLL;
  const n = x.length / 2;
  const v2 = a * a * std * std + s * s;
  const rule = gaussLegendrePanels(tMin, tMax, panels, GAUSS_POINTS);
  const K = rule.nodes.length;
  const cx = new Float64Array(K), cy = new Float64Array(K), logw = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const t = rule.nodes[k];
    cx[k] = a * scale * t * Math.cos(t);
    cy[k] = a * scale * t * Math.sin(t);
    logw[k] = Math.log(rule.weights[k] / (tMax - tMin));
  }
  const norm = -Math.log(2 * Math.PI * v2);
  const logp = new Float64Array(K);
  const logDensity = new Float64Array(n), score = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x0 = x[2 * i], x1 = x[2 * i + 1];
    let top = -Infinity;
    for (let k = 0; k < K; k++) {
      logp[k] = logw[k] - ((x0 - cx[k]) ** 2 + (x1 - cy[k]) ** 2) / (2 * v2);
      if (logp[k] > top) top = logp[k];
    }
    let z = 0, g0 = 0, g1 = 0;
    for (let k = 0; k < K; k++) {
      const w = Math.exp(logp[k] - top);
      z += w;
      g0 += w * (cx[k] - x0);
      g1 += w * (cy[k] - x1);
    }
    logDensity[i] = norm + top + Math.log(z);
    score[2 * i] = g0 / z / v2;
    score[2 * i + 1] = g1 / z / v2;
  }
  return { logDensity, score };
}
