/** The noised swiss roll's closed form (quadrature along the roll) against identities it must satisfy. */
import assert from "node:assert/strict";
import { swissRollMarginal } from "../core/data/swiss_roll.ts";
import { sampleSwissRoll } from "../core/data/curves.ts";
import { Streams } from "../core/runtime/random.ts";

const cases: [number, number][] = [[1, 0], [1, 0.05], [0.9, 0.4], [0.3, 0.95]];

Deno.test("noised swiss roll: the score is the gradient of the log-density (central differences)", () => {
  const stream = new Streams(7).get("points");
  for (const [a, s] of cases) {
    const x = Float64Array.from({ length: 40 }, () => 1.5 * stream.normal());
    const { score } = swissRollMarginal(x, a, s);
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const up = Float64Array.from(x), down = Float64Array.from(x);
      up[i] += h;
      down[i] -= h;
      const row = Math.floor(i / 2);
      const fd = (swissRollMarginal(up, a, s).logDensity[row] -
        swissRollMarginal(down, a, s).logDensity[row]) / (2 * h);
      assert.ok(
        Math.abs(fd - score[i]) <= 1e-5 * Math.max(1, Math.abs(fd)),
        `a=${a} s=${s}: d/dx_${i % 2} ${fd} vs ${score[i]}`,
      );
    }
  }
});

Deno.test("noised swiss roll: the density integrates to 1 on a fine grid", () => {
  for (const [a, s] of [cases[0], cases[3]]) {
    const n = 250, lo = -5, step = 10 / n;
    const x = new Float64Array(2 * n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        x[2 * (i * n + j)] = lo + (i + 0.5) * step;
        x[2 * (i * n + j) + 1] = lo + (j + 0.5) * step;
      }
    }
    const total = swissRollMarginal(x, a, s).logDensity.reduce((t, l) => t + Math.exp(l), 0) *
      step * step;
    assert.ok(Math.abs(total - 1) < 2e-3, `a=${a} s=${s}: integral ${total}`);
  }
});

Deno.test("noised swiss roll: Stein's identities on draws of the noised law; it matches the sampler", () => {
  const streams = new Streams(11);
  const n = 20000;
  for (const [a, s] of cases) {
    const x0 = sampleSwissRoll(n, streams.get(`roll/${a}`));
    const noise = streams.get(`noise/${a}`);
    const x = Float64Array.from(x0, (v) => a * v + s * noise.normal());
    const { score } = swissRollMarginal(x, a, s);
    let dot = 0, sq = 0;
    for (let i = 0; i < n; i++) {
      const d = x[2 * i] * score[2 * i] + x[2 * i + 1] * score[2 * i + 1];
      dot += d / n;
      sq += d * d / n;
    }
    const se = Math.sqrt((sq - dot * dot) / n);
    // E_q[x . grad log q] = -2 holds only if q is the law the points were drawn from.
    assert.ok(Math.abs(dot + 2) < 5 * se, `a=${a} s=${s}: E[x.s] = ${dot} ± ${se}, want -2`);
  }
});
