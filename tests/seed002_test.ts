/**
 * Seed 002's pipeline (core/recipes/seed002.ts): its sigma list is torch.logspace(-2, 1, 10), and
 * with the exact score the sampler as printed ends far from the data (its last level is sigma = 10)
 * while the corrected one reaches it, and the list reversed with the printed step rule blows up.
 */
import assert from "node:assert/strict";
import { DATASETS } from "../core/data/datasets.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixture } from "../core/models.ts";
import { logspace, sampleSeed002, SEED_002 } from "../core/recipes/seed002.ts";
import { radiusStats } from "../core/metrics/conditional.ts";
import { countNonFinite } from "../core/metrics/points.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";

Deno.test("seed 002: sigmas = logspace(-2, 1, 10), ascending", () => {
  const s = logspace(SEED_002.sigmas);
  assert.equal(s.length, 10);
  near(s[0], 0.01, 1e-15, "first");
  near(s[9], 10, 1e-12, "last");
  for (let i = 1; i < 10; i++) near(s[i] / s[i - 1], 10 ** (1 / 3), 1e-12, `ratio ${i}`);
});

Deno.test("seed 002 with the exact score: printed sampler off the ring, corrected on it, reversed blows up", async () => {
  await backend();
  const oracle = new MixtureOracle(DATASETS.ring8.mixture!);
  try {
    const env = { streams: new Streams(1) } as never;
    const c = { ...SEED_002, sample: { ...SEED_002.sample, samples: 200 } };
    const r = await noLeak(() => sampleSeed002(env, scoreFromMixture(oracle), c));
    const literal = radiusStats(r.literal.x).mean, corrected = radiusStats(r.corrected.x).mean;
    // ring8 has radius 3 (modes' std 0.25).
    assert.ok(Math.abs(corrected - 3) < 0.1, `corrected mean radius ${corrected}`);
    assert.ok(Math.abs(literal - 3) > 0.5, `printed mean radius ${literal}`);
    assert.equal(countNonFinite(r.reversed.x, 2), 200);
  } finally {
    oracle.dispose();
  }
});
