/**
 * The curve data sets' samplers against their construction (`core/data/curves.ts`): two moons, each
 * a half circle of radius 1 with Gaussian noise of std 0.05 per coordinate, before the map
 * (u, v) -> (2 (u - 0.5), 2 (v - 0.25)): the outer moon centred at (0, 0) above, the inner at
 * (1, 0.5) below, half the points each.
 */
import assert from "node:assert/strict";
import { sampleMoons } from "../core/data/curves.ts";
import { Streams } from "../core/runtime/random.ts";
import { summary } from "../core/metrics/statistics.ts";

Deno.test("moons: each label's points lie on its half circle (radius 1, noise 0.05), half the points each", () => {
  const n = 20000;
  const { x, labels } = sampleMoons(n, new Streams(3).get("moons"));
  const centre = [[0, 0], [1, 0.5]];
  for (const k of [0, 1]) {
    const r: number[] = [], angle: number[] = [];
    for (let i = 0; i < n; i++) {
      if (labels[i] !== k) continue;
      const u = x[2 * i] / 2 + 0.5 - centre[k][0], v = x[2 * i + 1] / 2 + 0.25 - centre[k][1];
      r.push(Math.hypot(u, v));
      // The outer moon is the upper half (angle in [0, pi]), the inner the lower (in [-pi, 0]).
      // Noise can carry a point at an end just below the axis: -pi + d is read as pi + d.
      const t = k === 0 ? Math.atan2(v, u) : Math.atan2(-v, -u);
      angle.push(t < -Math.PI / 2 ? t + 2 * Math.PI : t);
    }
    const share = r.length / n;
    assert.ok(Math.abs(share - 0.5) < 0.015, `label ${k}: share ${share}`);
    const s = summary(r);
    assert.ok(Math.abs(s.mean - 1) < 0.005, `label ${k}: mean radius ${s.mean}`);
    assert.ok(Math.abs(s.sd - 0.05) < 0.005, `label ${k}: radial sd ${s.sd}`);
    const a = summary(angle);
    // Uniform angle on [0, pi]: mean pi / 2, sd pi / sqrt(12); a few points cross the ends.
    assert.ok(Math.abs(a.mean - Math.PI / 2) < 0.03, `label ${k}: mean angle ${a.mean}`);
    assert.ok(Math.abs(a.sd - Math.PI / Math.sqrt(12)) < 0.03, `label ${k}: angle sd ${a.sd}`);
    assert.ok(a.min > -0.3 && a.max < Math.PI + 0.3, `label ${k}: angles in the half circle`);
  }
});
