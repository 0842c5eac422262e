import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MixtureScore, ring8Mixture } from "../core/data/mixtures.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { epsFromMixture } from "../core/models.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { QualityJudge } from "../core/metrics/quality.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";

Deno.test("DDPM ancestral sampling with the exact score reproduces ring8 (no network)", async () => {
  await backend();
  const score = new MixtureScore(ring8Mixture());
  const s = linearBetaSchedule(200);
  const judge = new QualityJudge(DATASETS.ring8, {
    referenceSize: 2000,
    permutations: 50,
    permutationSize: 500,
  });
  for (const variance of ["beta", "posterior"] as const) {
    const r = await noLeak(() =>
      ddpmSample(epsFromMixture(score, s), s, new Streams(0).perSample("sample", 0, 2000), {
        dim: 2,
        variance,
      })
    );
    const { quality } = judge.measure(r.x);
    assert.equal(quality.modesCovered, 8, `${variance}: all 8 modes`);
    assert.ok(
      quality.highQualityFraction! > 0.97,
      `${variance}: high quality ${quality.highQualityFraction}`,
    );
    assert.ok(
      quality.mmd2 < 3 * Math.abs(quality.mmd2NoiseFloor) + 0.002,
      `${variance}: MMD² ${quality.mmd2}`,
    );
    assert.equal(r.nfe, 200);
  }
  score.dispose();
});

Deno.test("the sampler is only as good as its score: a sign-flipped score does not reproduce ring8", async () => {
  await backend();
  const score = new MixtureScore(ring8Mixture());
  const s = linearBetaSchedule(200);
  const exact = epsFromMixture(score, s);
  const flipped = (x: tf.Tensor2D, t: number | Int32Array) =>
    tf.tidy(() => tf.neg(exact(x, t)) as tf.Tensor2D);
  const r = ddpmSample(flipped, s, new Streams(0).perSample("sample", 0, 500), { dim: 2 });
  const judge = new QualityJudge(DATASETS.ring8, {
    referenceSize: 500,
    permutations: 10,
    permutationSize: 200,
  });
  const { quality } = judge.measure(r.x.map((v) => (Number.isFinite(v) ? v : 1e6)));
  assert.ok(quality.highQualityFraction! < 0.2, `flipped: ${quality.highQualityFraction}`);
  score.dispose();
});

Deno.test("samples do not depend on the batch they were drawn in (per-sample streams)", async () => {
  await backend();
  const score = new MixtureScore(ring8Mixture());
  const s = linearBetaSchedule(50);
  const eps = epsFromMixture(score, s);
  const streams = new Streams(11);
  const whole = ddpmSample(eps, s, streams.perSample("sample", 0, 300), { dim: 2 }).x;
  const parts = [[0, 77], [77, 200], [200, 300]].map(([a, b]) =>
    ddpmSample(eps, s, streams.perSample("sample", a, b - a), { dim: 2 }).x
  );
  const joined = new Float32Array(600);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  assert.deepEqual(joined, whole);
  score.dispose();
});
