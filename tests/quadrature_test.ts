/** Gauss-Legendre rules against the integrals they must get exactly. */
import assert from "node:assert/strict";
import { gaussLegendre, gaussLegendrePanels } from "../core/data/quadrature.ts";

Deno.test("gaussLegendre: G points integrate every monomial of degree <= 2G - 1 on [-1, 1] exactly; nodes symmetric, ascending, weights positive", () => {
  for (let G = 1; G <= 16; G++) {
    const { nodes, weights } = gaussLegendre(G);
    for (let deg = 0; deg <= 2 * G - 1; deg++) {
      const got = nodes.reduce((t, z, k) => t + weights[k] * z ** deg, 0);
      const want = deg % 2 === 1 ? 0 : 2 / (deg + 1);
      assert.ok(Math.abs(got - want) < 1e-14, `G=${G} degree ${deg}: ${got} vs ${want}`);
    }
    // degree 2G is not exact (the rule is Gauss's, not a higher one): seen where its error is large
    const over = nodes.reduce((t, z, k) => t + weights[k] * z ** (2 * G), 0);
    if (G <= 6) assert.ok(Math.abs(over - 2 / (2 * G + 1)) > 1e-6, `G=${G}: degree 2G exact?`);
    for (let k = 0; k < G; k++) {
      assert.ok(Math.abs(nodes[k] + nodes[G - 1 - k]) < 1e-15, `G=${G}: symmetric nodes`);
      assert.ok(weights[k] > 0 && (k === 0 || nodes[k] > nodes[k - 1]), `G=${G}: order, sign`);
    }
  }
  assert.throws(() => gaussLegendre(0), /G must be an integer in \[1, 64\], got 0/);
});

Deno.test("gaussLegendrePanels: panels of [lo, hi] integrate sin and exp to 1e-14; weights sum to hi - lo", () => {
  const integrate = (f: (t: number) => number, lo: number, hi: number, panels: number) => {
    const r = gaussLegendrePanels(lo, hi, panels, 8);
    assert.ok(Math.abs(r.weights.reduce((a, b) => a + b, 0) - (hi - lo)) < 1e-13);
    return r.nodes.reduce((t, x, k) => t + r.weights[k] * f(x), 0);
  };
  assert.ok(Math.abs(integrate(Math.sin, 0, Math.PI, 3) - 2) < 1e-14);
  assert.ok(Math.abs(integrate(Math.exp, -1, 2, 5) - (Math.E ** 2 - 1 / Math.E)) < 1e-13);
  assert.throws(() => gaussLegendrePanels(0, 1, 0, 8), /panels must be a positive integer, got 0/);
});
