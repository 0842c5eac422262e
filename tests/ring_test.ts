/** The noised ring's closed form (angular quadrature) against identities it must satisfy. */
import assert from "node:assert/strict";
import { RING, ringMarginal } from "../core/data/ring.ts";
import { sampleRing } from "../core/data/curves.ts";
import { Streams } from "../core/runtime/random.ts";

const cases: [number, number][] = [[1, 0.02], [0.95, 0.3], [0.6, 0.8], [0.05, 0.999]];

Deno.test("noised ring: the score is the gradient of the log-density (central differences)", () => {
  const stream = new Streams(7).get("points");
  for (const [a, s] of cases) {
    const x = Float64Array.from({ length: 40 }, () => 3 * stream.normal());
    const { score } = ringMarginal(x, a, s);
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const up = Float64Array.from(x), down = Float64Array.from(x);
      up[i] += h;
      down[i] -= h;
      const row = Math.floor(i / 2);
      const fd =
        (ringMarginal(up, a, s).logDensity[row] - ringMarginal(down, a, s).logDensity[row]) /
        (2 * h);
      assert.ok(
        Math.abs(fd - score[i]) <= 1e-5 * Math.max(1, Math.abs(fd)),
        `a=${a} s=${s}: d/dx_${i % 2} ${fd} vs ${score[i]}`,
      );
    }
  }
});

Deno.test("noised ring: the density integrates to 1 on a fine grid", () => {
  for (const [a, s] of cases.slice(1)) {
    const n = 400, lo = -5, step = 10 / n;
    const x = new Float64Array(2 * n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        x[2 * (i * n + j)] = lo + (i + 0.5) * step;
        x[2 * (i * n + j) + 1] = lo + (j + 0.5) * step;
      }
    }
    const total = ringMarginal(x, a, s).logDensity.reduce((t, l) => t + Math.exp(l), 0) * step *
      step;
    assert.ok(Math.abs(total - 1) < 1e-3, `a=${a} s=${s}: integral ${total}`);
  }
});

Deno.test("noised ring: Stein's identities on draws of the noised law (E s = 0, E x.s = -2)", () => {
  const streams = new Streams(11);
  const n = 20000;
  for (const [a, s] of cases) {
    const x0 = sampleRing(n, streams.get(`ring/${a}`));
    const noise = streams.get(`noise/${a}`);
    const x = Float64Array.from(x0, (v) => a * v + s * noise.normal());
    const { score } = ringMarginal(x, a, s);
    let mean0 = 0, mean1 = 0, dot = 0, sq = 0;
    for (let i = 0; i < n; i++) {
      mean0 += score[2 * i] / n;
      mean1 += score[2 * i + 1] / n;
      const d = x[2 * i] * score[2 * i] + x[2 * i + 1] * score[2 * i + 1];
      dot += d / n;
      sq += d * d / n;
    }
    const se = Math.sqrt((sq - dot * dot) / n);
    assert.ok(Math.abs(dot + 2) < 5 * se, `a=${a} s=${s}: E[x.s] = ${dot} ± ${se}, want -2`);
    assert.ok(Math.abs(mean0) < 0.1 / s && Math.abs(mean1) < 0.1 / s, `E s = ${mean0}, ${mean1}`);
  }
  assert.equal(RING.radius, 2);
});
