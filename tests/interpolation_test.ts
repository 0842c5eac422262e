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
import { interpolate } from "../core/recipes/interpolation.ts";
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
