/**
 * Gauss-Legendre quadrature: the G-point rule on [-1, 1] (exact for polynomials of degree 2G - 1)
 * and composite rules of equal panels on an interval, for the closed forms that integrate over a
 * curve's parameter (`swiss_roll.ts`).
 */

/** Nodes and weights of a quadrature rule: sum_k weights[k] f(nodes[k]) ~ the integral of f. */
export interface Quadrature {
  nodes: Float64Array;
  weights: Float64Array;
}

/**
 * The G-point Gauss-Legendre rule on [-1, 1]: the nodes are the roots of the Legendre polynomial
 * P_G (Newton's method from cos(pi (i + 3/4) / (G + 1/2)), with P_G by its three-term recurrence
 * k P_k = (2k - 1) z P_{k-1} - (k - 1) P_{k-2}), the weights 2 / ((1 - z^2) P_G'(z)^2).
 */
export function gaussLegendre(G: number): Quadrature {
  if (!Number.isInteger(G) || G < 1 || G > 64) {
    throw new RangeError(`gaussLegendre: G must be an integer in [1, 64], got ${G}`);
  }
  const nodes = new Float64Array(G), weights = new Float64Array(G);
  for (let i = 0; i < G; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (G + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = z;
      for (let k = 2; k <= G; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (G * (z * p1 - p0)) / (z * z - 1);
      const step = p1 / dp;
      z -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    nodes[G - 1 - i] = z;
    weights[G - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { nodes, weights };
}

/** The G-point rule on each of `panels` equal panels of [lo, hi] (nodes ascending). */
export function gaussLegendrePanels(lo: number, hi: number, panels: number, G: number): Quadrature {
  if (!Number.isInteger(panels) || panels < 1) {
    throw new RangeError(`gaussLegendrePanels: panels must be a positive integer, got ${panels}`);
  }
  const rule = gaussLegendre(G);
  const H = (hi - lo) / panels;
  const nodes = new Float64Array(panels * G), weights = new Float64Array(panels * G);
  for (let p = 0; p < panels; p++) {
    for (let g = 0; g < G; g++) {
      nodes[p * G + g] = lo + (p + (1 + rule.nodes[g]) / 2) * H;
      weights[p * G + g] = (rule.weights[g] * H) / 2;
    }
  }
  return { nodes, weights };
}
