/** The noised swiss roll's closed form (quadrature along the roll) against identities it must satisfy. */
import assert from "node:assert/strict";
import { swissRollMarginal, swissRollPanels } from "../core/data/swiss_roll.ts";
import { sampleSwissRoll } from "../core/data/curves.ts";
import { Streams } from "../core/runtime/random.ts";
import {
  assertQuadratureConverged,
  assertScoreIsGradient,
  assertSteinMatrix,
  gridIntegral,
  steinMeans,
} from "./marginal_checks.ts";

const cases: [number, number][] = [[1, 0], [1, 0.05], [0.9, 0.4], [0.3, 0.95]];

Deno.test("noised swiss roll: the score is the gradient of the log-density (central differences)", () => {
  const stream = new Streams(7).get("points");
  for (const [a, s] of cases) assertScoreIsGradient(swissRollMarginal, a, s, stream, 1.5);
});

Deno.test("noised swiss roll: the density integrates to 1 on a fine grid", () => {
  for (const [a, s] of [cases[0], cases[3]]) {
    const total = gridIntegral(swissRollMarginal, a, s, 250);
    assert.ok(Math.abs(total - 1) < 2e-3, `a=${a} s=${s}: integral ${total}`);
  }
});

Deno.test("noised swiss roll: Stein's identities on draws of the noised law; it matches the sampler", () => {
  const streams = new Streams(11);
  const n = 20000;
  for (const [a, s] of cases) {
    const x0 = sampleSwissRoll(n, streams.get(`roll/${a}`));
    const r = steinMeans(swissRollMarginal, x0, a, s, streams.get(`noise/${a}`));
    // E_q[x . grad log q] = -2 and E_q[x_i d_j log q] = -delta_ij hold only if q is the law the
    // points were drawn from (the matrix also sees noise that differs between the coordinates).
    assert.ok(
      Math.abs(r.dot + 2) < 5 * r.se,
      `a=${a} s=${s}: E[x.s] = ${r.dot} ± ${r.se}, want -2`,
    );
    assertSteinMatrix(r, `a=${a} s=${s}`);
  }
});

Deno.test("noised swiss roll: the Gauss-Legendre panels have converged (4 times the panels agree to 1e-9)", () => {
  const streams = new Streams(13);
  for (const [a, s] of [...cases, [1, 0.01], [0.999, 0.05], [0.05, 0.999]]) {
    const x0 = sampleSwissRoll(2000, streams.get(`roll/${a}/${s}`));
    assertQuadratureConverged(
      (x) => swissRollMarginal(x, a, s),
      (x) => swissRollMarginal(x, a, s, 4 * swissRollPanels(a, s)),
      x0,
      a,
      s,
      streams.get(`noise/${a}/${s}`),
    );
  }
});
