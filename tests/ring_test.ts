/** The noised ring's closed form (angular quadrature) against identities it must satisfy. */
import assert from "node:assert/strict";
import { RING, ringMarginal, ringQuadratureSize } from "../core/data/ring.ts";
import { sampleRing } from "../core/data/curves.ts";
import { Streams } from "../core/runtime/random.ts";
import {
  assertQuadratureConverged,
  assertScoreIsGradient,
  assertSteinMatrix,
  gridIntegral,
  steinMeans,
} from "./marginal_checks.ts";

const cases: [number, number][] = [[1, 0.02], [0.95, 0.3], [0.6, 0.8], [0.05, 0.999]];

Deno.test("noised ring: the score is the gradient of the log-density (central differences)", () => {
  const stream = new Streams(7).get("points");
  for (const [a, s] of cases) assertScoreIsGradient(ringMarginal, a, s, stream, 3);
});

Deno.test("noised ring: the density integrates to 1 on a fine grid", () => {
  for (const [a, s] of cases.slice(1)) {
    const total = gridIntegral(ringMarginal, a, s, 400);
    assert.ok(Math.abs(total - 1) < 1e-3, `a=${a} s=${s}: integral ${total}`);
  }
});

Deno.test("noised ring: Stein's identities on draws of the noised law (E s = 0, E x.s = -2, E x_i s_j = -delta_ij)", () => {
  const streams = new Streams(11);
  const n = 20000;
  for (const [a, s] of cases) {
    const x0 = sampleRing(n, streams.get(`ring/${a}`));
    const r = steinMeans(ringMarginal, x0, a, s, streams.get(`noise/${a}`));
    const { mean, dot, se } = r;
    assert.ok(Math.abs(dot + 2) < 5 * se, `a=${a} s=${s}: E[x.s] = ${dot} ± ${se}, want -2`);
    assertSteinMatrix(r, `a=${a} s=${s}`);
    assert.ok(Math.abs(mean[0]) < 0.1 / s && Math.abs(mean[1]) < 0.1 / s, `E s = ${mean}`);
  }
  assert.equal(RING.radius, 2);
});

Deno.test("noised ring: the angular quadrature has converged (4 times the angles agree to 1e-9)", () => {
  const streams = new Streams(13);
  for (const [a, s] of [...cases, [0.999, 0.05]]) {
    const x0 = sampleRing(1000, streams.get(`ring/${a}/${s}`));
    assertQuadratureConverged(
      (x) => ringMarginal(x, a, s),
      (x) => ringMarginal(x, a, s, 4 * ringQuadratureSize(a, s)),
      x0,
      a,
      s,
      streams.get(`noise/${a}/${s}`),
    );
  }
});
