/**
 * Latent interpolation (core/recipes/interpolation.ts) against a closed form: for Gaussian data the
 * VP SDE's probability-flow map is linear (x(t) scales by sqrt(v(t) / v(0)), v(t) = a(t)^2 s^2 +
 * 1 - a(t)^2), so a straight line between latents decodes to the straight line between the data
 * points, and the round trip returns the points.
 */
import assert from "node:assert/strict";
import { mixtureDataset } from "../core/data/datasets.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { vpSde } from "../core/noise/sde.ts";
import { interpolate, pathWeights } from "../core/recipes/interpolation.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";

Deno.test("latent interpolation of Gaussian data: latent lines decode to data lines; round trip exact", async () => {
  await backend();
  const gauss = mixtureDataset("gauss", { means: [[0.5, -0.3]], std: 0.7, weights: [1] });
  const oracle = new MixtureOracle(gauss.mixture!);
  try {
    const sde = vpSde(0.1, 20);
    const c = { pairs: 6, points: 5, rtol: 1e-6, tMin: 1e-3 };
    const r = await noLeak(() =>
      interpolate(new Streams(2), sde, scoreFromMixtureAtTime(oracle, sde), gauss, c)
    );
    assert.ok(r.roundTripError < 1e-4, `round trip ${r.roundTripError}`);
    let worst = 0;
    for (let i = 0; i < r.paths.dataLinear.length; i++) {
      worst = Math.max(worst, Math.abs(r.paths.latentLinear[i] - r.paths.dataLinear[i]));
    }
    assert.ok(worst < 2e-4, `latent line vs data line: ${worst}`);
    // The encoder itself: x(T) = m(T) mu + sqrt(v(T) / v(tMin)) (x - m(tMin) mu).
    const v = (t: number) => sde.meanCoef(t) ** 2 * 0.49 + sde.std(t) ** 2;
    const k = Math.sqrt(v(sde.T) / v(c.tMin));
    const mu = [0.5, -0.3];
    for (let i = 0; i < r.ends.length; i++) {
      const want = sde.meanCoef(sde.T) * mu[i % 2] +
        k * (r.ends[i] - sde.meanCoef(c.tMin) * mu[i % 2]);
      assert.ok(Math.abs(r.latents[i] - want) < 1e-4, `latent ${i}: ${r.latents[i]} vs ${want}`);
    }
  } finally {
    oracle.dispose();
  }
});

Deno.test("pathWeights: slerp keeps the norm of equal-norm ends and lies at angle u omega from a; linear is (1 - u, u)", () => {
  const draws = new Streams(3).get("ends");
  for (let k = 0; k < 50; k++) {
    const r = 0.1 + 3 * draws.uniform(), ta = 2 * Math.PI * draws.uniform();
    const tb = ta + (0.05 + 3 * draws.uniform()) * (draws.uniform() < 0.5 ? -1 : 1);
    const a = Float32Array.of(r * Math.cos(ta), r * Math.sin(ta));
    const b = Float32Array.of(r * Math.cos(tb), r * Math.sin(tb));
    const omega = Math.acos(
      Math.max(-1, Math.min(1, (a[0] * b[0] + a[1] * b[1]) / (Math.hypot(a[0], a[1]) ** 2))),
    );
    for (const u of [0, 0.1, 0.37, 0.5, 0.9, 1]) {
      const [wa, wb] = pathWeights(a, b, u, true);
      const p = [wa * a[0] + wb * b[0], wa * a[1] + wb * b[1]];
      const norm = Math.hypot(p[0], p[1]), na = Math.hypot(a[0], a[1]);
      assert.ok(Math.abs(norm - na) < 1e-5 * na, `norm at u=${u}: ${norm} vs ${na}`);
      const angle = Math.acos(Math.max(-1, Math.min(1, (p[0] * a[0] + p[1] * a[1]) / (norm * na))));
      assert.ok(Math.abs(angle - u * omega) < 1e-3, `angle at u=${u}: ${angle} vs ${u * omega}`);
      assert.deepEqual(pathWeights(a, b, u, false), [1 - u, u]);
    }
  }
});
