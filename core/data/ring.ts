/**
 * Seed 000's ring law (angle uniform, radius R + sigma_r z with R = 2, sigma_r = 0.2) and the exact
 * score of its noised marginal q(x) = law of a x0 + s eps, eps ~ N(0, I).
 *
 * For a fixed angle theta (direction u), a x0 + s eps is Gaussian with mean a R u and covariance
 * a^2 sigma_r^2 u u^T + s^2 I (negative radii, of probability ~1e-23, are ignored). The uniform
 * angle is integrated by the periodic trapezoid rule on K equally spaced angles, which converges
 * geometrically once the spacing 2 pi a R / K is well below the tangential spread s; K is chosen
 * so that it is below s / 3. So
 *
 *   q(x) = (1/K) sum_k N(x; a R u_k, C_k),   grad log q(x) = sum_k w_k(x) grad log N(x; a R u_k, C_k),
 *
 * with w_k the posterior weight of angle k, computed in float64 with the log-sum-exp shift.
 */

/** The ring's radius R and radial standard deviation sigma_r. */
export const RING = { radius: 2, radialStd: 0.2 } as const;

/** Angles of the quadrature for the marginal with coefficients (a, s). */
export function ringQuadratureSize(a: number, s: number): number {
  const needed = (6 * Math.PI * RING.radius * Math.max(a, 1e-12)) / s;
  let k = 64;
  while (k < needed && k < 1 << 16) k *= 2;
  return k;
}

/**
 * log q(x) and grad log q(x) of the noised ring at rows of x (flat, 2 per row), in float64, by the
 * quadrature on K angles (by default the rule of {@link ringQuadratureSize}).
 */
export function ringMarginal(
  x: ArrayLike<number>,
  a: number,
  s: number,
  K: number = ringQuadratureSize(a, s),
): { logDensity: Float64Array; score: Float64Array } {
  const n = x.length / 2;
  const l1 = a * a * RING.radialStd * RING.radialStd + s * s, l2 = s * s;
  const norm = -Math.log(2 * Math.PI) - 0.5 * Math.log(l1 * l2) - Math.log(K);
  const cos = new Float64Array(K), sin = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / K);
    sin[k] = Math.sin((2 * Math.PI * k) / K);
  }
  const logp = new Float64Array(K);
  const logDensity = new Float64Array(n), score = new Float64Array(2 * n);
  const m = a * RING.radius;
  for (let i = 0; i < n; i++) {
    const x0 = x[2 * i], x1 = x[2 * i + 1];
    let top = -Infinity;
    for (let k = 0; k < K; k++) {
      const d0 = x0 - m * cos[k], d1 = x1 - m * sin[k];
      const p = d0 * cos[k] + d1 * sin[k], q = -d0 * sin[k] + d1 * cos[k];
      logp[k] = -0.5 * (p * p / l1 + q * q / l2);
      if (logp[k] > top) top = logp[k];
    }
    let z = 0, g0 = 0, g1 = 0;
    for (let k = 0; k < K; k++) {
      const w = Math.exp(logp[k] - top);
      const d0 = x0 - m * cos[k], d1 = x1 - m * sin[k];
      const p = (d0 * cos[k] + d1 * sin[k]) / l1, q = (-d0 * sin[k] + d1 * cos[k]) / l2;
      z += w;
      // grad log N = -(p u + q u_perp), u = (cos, sin), u_perp = (-sin, cos).
      g0 -= w * (p * cos[k] - q * sin[k]);
      g1 -= w * (p * sin[k] + q * cos[k]);
    }
    logDensity[i] = norm + top + Math.log(z);
    score[2 * i] = g0 / z;
    score[2 * i + 1] = g1 / z;
  }
  return { logDensity, score };
}
