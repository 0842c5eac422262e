import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MixtureOracle, ring8Mixture } from "../core/data/mixtures.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { epsFromMixture } from "../core/models.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { ddimSample } from "../core/samplers/ddim.ts";
import { QualityJudge } from "../core/metrics/quality.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";

Deno.test("DDPM ancestral sampling with the exact score reproduces ring8 (no network)", async () => {
  await backend();
  const oracle = new MixtureOracle(ring8Mixture());
  const s = linearBetaSchedule(200);
  const judge = new QualityJudge(DATASETS.ring8, {
    referenceSize: 2000,
    permutations: 50,
    permutationSize: 500,
  });
  for (const variance of ["beta", "posterior"] as const) {
    const r = await noLeak(() =>
      ddpmSample(epsFromMixture(oracle, s), s, new Streams(0).perSample("sample", 0, 2000), {
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
  oracle.dispose();
});

Deno.test("the sampler is only as good as its score: a sign-flipped score does not reproduce ring8", async () => {
  await backend();
  const oracle = new MixtureOracle(ring8Mixture());
  const s = linearBetaSchedule(200);
  const exact = epsFromMixture(oracle, s);
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
  oracle.dispose();
});

Deno.test("samples do not depend on the batch they were drawn in (per-sample streams)", async () => {
  await backend();
  const oracle = new MixtureOracle(ring8Mixture());
  const s = linearBetaSchedule(50);
  const eps = epsFromMixture(oracle, s);
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
  oracle.dispose();
});

import { mala } from "../core/samplers/mala.ts";
import { langevin } from "../core/samplers/langevin.ts";
import { annealedLangevin } from "../core/samplers/annealed_langevin.ts";
import { scoreFromMixture } from "../core/models.ts";
import { geometricSigmas } from "../core/noise/schedules.ts";
import { threeClustersMixture } from "../core/data/mixtures.ts";
import { moments2, near } from "./helpers.ts";

Deno.test("MALA leaves a Gaussian target invariant at a large step; ULA at the same step is biased as predicted", async () => {
  await backend();
  // Target N(mu, v I) with v = 0.5; a large step eps = 0.8 v.
  const v = 0.5, mu = [1, -2], eps = 0.4;
  const oracle = new MixtureOracle({ means: [mu], std: Math.sqrt(v), weights: [1] });
  const target = {
    score: (x: tf.Tensor2D) => oracle.score(x),
    logDensity: (x: tf.Tensor2D) => oracle.logDensity(x),
  };
  const n = 4000;
  const streams = new Streams(21);
  const start = tf.tidy(() =>
    tf.add(
      tf.mul(Math.sqrt(v), streams.perSample("start", 0, n).normal(2)),
      tf.tensor2d([mu]),
    ) as tf.Tensor2D
  );
  const r = await noLeak(() =>
    mala(target, start, streams.perSample("mala", 0, n), { steps: 200, stepSize: eps })
  );
  const m = moments2(r.x);
  const se = Math.sqrt(v / n);
  near(m.mean[0], mu[0], 5 * se, "MALA mean x");
  near(m.mean[1], mu[1], 5 * se, "MALA mean y");
  near(m.cov[0], v, 5 * v * Math.sqrt(2 / n), "MALA var x");
  near(m.cov[2], v, 5 * v * Math.sqrt(2 / n), "MALA var y");
  near(m.cov[1], 0, 5 * v / Math.sqrt(n), "MALA cov");
  assert.ok(r.acceptance > 0.5 && r.acceptance < 1, `acceptance ${r.acceptance}`);
  // ULA x' = (1 - eps/(2v)) x + sqrt(eps) z is an AR(1) with stationary variance eps / (1 - (1 - eps/(2v))^2).
  const u = langevin((x) => oracle.score(x), start, streams.perSample("ula", 0, n), {
    steps: 200,
    stepSize: eps,
    form: "half",
  });
  const rho = 1 - eps / (2 * v);
  const ulaVar = eps / (1 - rho * rho);
  near(moments2(u.x).cov[0], ulaVar, 5 * ulaVar * Math.sqrt(2 / n), "ULA stationary variance");
  assert.ok(ulaVar > 1.2 * v, "the bias is real at this step size");
  start.dispose();
  oracle.dispose();
});

Deno.test("the two Langevin discretisations are one chain: 'full' at eps equals 'half' at 2 eps", async () => {
  await backend();
  const oracle = new MixtureOracle(ring8Mixture());
  const x0 = tf.zeros([50, 2]) as tf.Tensor2D;
  const a = langevin((x) => oracle.score(x), x0, new Streams(1).perSample("s", 0, 50), {
    steps: 30,
    stepSize: 0.01,
    form: "full",
  });
  const b = langevin((x) => oracle.score(x), x0, new Streams(1).perSample("s", 0, 50), {
    steps: 30,
    stepSize: 0.02,
    form: "half",
  });
  a.x.forEach((v, i) => near(v, b.x[i], 1e-5, "same chain"));
  x0.dispose();
  oracle.dispose();
});

Deno.test("exact score: annealed Langevin reproduces ring8 and three_clusters; single-scale Langevin from one start does not", async () => {
  await backend();
  for (
    const [name, m] of [["ring8", ring8Mixture()], [
      "three_clusters",
      threeClustersMixture(),
    ]] as const
  ) {
    const oracle = new MixtureOracle(m);
    const judge = new QualityJudge(DATASETS[name], {
      referenceSize: 2000,
      permutations: 20,
      permutationSize: 500,
    });
    const n = 2000;
    const streams = new Streams(2);
    const sigmas = geometricSigmas(6, 0.01, 30);
    const x0 = tf.tidy(() => tf.mul(6, streams.perSample("x0", 0, n).normal(2)) as tf.Tensor2D);
    const annealed = annealedLangevin(
      scoreFromMixture(oracle),
      x0,
      sigmas,
      streams.perSample("al", 0, n),
      {
        stepsPerLevel: 40,
        rule: { kind: "ratio", alpha: 2e-5 },
        form: "half",
        denoise: true,
      },
    );
    const qa = judge.measure(annealed.x).quality;
    assert.equal(qa.modesCovered, m.means.length, `${name}: annealed covers every mode`);
    assert.ok(
      qa.mmd2 < 3 * Math.abs(qa.mmd2NoiseFloor) + 1e-3,
      `${name}: annealed MMD² ${qa.mmd2} (floor ${qa.mmd2NoiseFloor})`,
    );
    // Single scale, same budget, every chain from one start at the first mode.
    const one = tf.tidy(() =>
      tf.tile(tf.tensor2d([m.means[0] as number[]]), [n, 1]) as tf.Tensor2D
    );
    const single = langevin((x) => oracle.score(x), one, streams.perSample("ula", 0, n), {
      steps: 30 * 40,
      stepSize: 0.1 * m.std * m.std,
      form: "half",
    });
    const qs = judge.measure(single.x).quality;
    assert.ok(
      qs.modesCovered! < m.means.length,
      `${name}: single-scale covered ${qs.modesCovered}`,
    );
    assert.ok(qs.mmd2 > 20 * qa.mmd2 && qs.mmd2 > 0.05, `${name}: single-scale MMD² ${qs.mmd2}`);
    tf.dispose([x0, one]);
    oracle.dispose();
  }
});

Deno.test("DDIM with eta = 1 on the whole chain is the DDPM sampler with the posterior variance", async () => {
  await backend();
  const oracle = new MixtureOracle(ring8Mixture());
  try {
    const s = linearBetaSchedule(100);
    const eps = epsFromMixture(oracle, s);
    const alphaBars = Array.from(s.alphaBar).reverse();
    const noise = () => new Streams(3).perSample("sample", 0, 300);
    const ddpm = ddpmSample(eps, s, noise(), { dim: 2, variance: "posterior" }).x;
    const ddim = (eta: number) =>
      ddimSample((x, k) => eps(x, s.T - 1 - k), alphaBars, noise(), { dim: 2, eta }).x;
    const gap = (a: Float32Array, b: Float32Array) =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    // Same noise, same algebra (sigma^2 = betaTilde_t, the posterior mean): rounding only.
    assert.ok(gap(ddim(1), ddpm) < 1e-3, `eta 1 vs DDPM: ${gap(ddim(1), ddpm)}`);
    // eta = 0 is another sampler: it must not coincide.
    assert.ok(gap(ddim(0), ddpm) > 0.1, `eta 0 vs DDPM: ${gap(ddim(0), ddpm)}`);
  } finally {
    oracle.dispose();
  }
});

import { annealedBlock, loadNcsnNet, type SavedNcsnNet } from "../core/recipes/ncsn.ts";
import { Network } from "../core/nn/network.ts";
import { noiseConditionalMlp } from "../core/nn/architectures.ts";
import { createProgress } from "../core/harness/progress.ts";
import { NO_CHECKPOINTS } from "../core/runtime/checkpoints.ts";

Deno.test("annealed samples of a network in blocks of rows (one part each) are the rows sampled at once", async () => {
  await backend();
  const init = new Network(noiseConditionalMlp([16, 16]), new Streams(4).get("init"));
  const saved: SavedNcsnNet = {
    weights: init.params.read(),
    losses: new Float32Array(0),
    finalLoss: 0,
  };
  init.dispose();
  const model = loadNcsnNet({ model: { hidden: [16, 16] } }, saved);
  const env = {
    streams: new Streams(9),
    progress: createProgress("x", "silent"),
    checkpoints: NO_CHECKPOINTS,
  };
  const o = {
    samples: 37,
    dim: 2,
    stepsPerLevel: 3,
    rule: { kind: "ratio" as const, alpha: 0.05 },
    form: "half" as const,
    denoise: true,
  };
  const sigmas = geometricSigmas(3, 0.1, 4);
  const whole = await noLeak(() => Promise.resolve(annealedBlock(env, model, sigmas, o, 0, 1)));
  for (const blocks of [2, 3, 5]) {
    const parts = Array.from(
      { length: blocks },
      (_, b) => annealedBlock(env, model, sigmas, o, b, blocks),
    );
    assert.equal(
      parts.reduce((a, p) => a + p.length, 0),
      whole.length,
      `${blocks} blocks: every row once`,
    );
    const joined = new Float32Array(whole.length);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    assert.deepEqual(joined, whole, `${blocks} blocks: the same bits`);
  }
  assert.ok(
    whole.some((v, i) =>
      v !== annealedBlock({ ...env, streams: new Streams(10) }, model, sigmas, o, 0, 1)[i]
    ),
  );
  model.dispose();
});
