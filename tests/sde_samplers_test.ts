import assert from "node:assert/strict";
import { DATASETS } from "../core/data/datasets.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { veSde, vpSde } from "../core/noise/sde.ts";
import * as tf from "@tensorflow/tfjs";
import {
  joinSweeps,
  samplerSweep,
  sampleSde,
  type SweepConfig,
  type SweepResult,
} from "../core/recipes/sde_samplers.ts";
import type { ScoreFn } from "../core/models.ts";
import { createProgress } from "../core/harness/progress.ts";
import { NO_CHECKPOINTS } from "../core/runtime/checkpoints.ts";
import { QualityJudge } from "../core/metrics/quality.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";

const judge = () =>
  new QualityJudge(DATASETS.ring8, { referenceSize: 2000, permutations: 10, permutationSize: 200 });

Deno.test("exact score: PF-ODE RK4 at 100 NFE and reverse-SDE EM at 500 NFE cover all 8 modes of ring8", async () => {
  await backend();
  const sde = vpSde();
  const oracle = new MixtureOracle(DATASETS.ring8.mixture!);
  const score = scoreFromMixtureAtTime(oracle, sde);
  const j = judge();
  const floor = j.floorScale(2000);
  for (const [name, nfe] of [["rk4", 100], ["em", 500]] as const) {
    const r = await noLeak(() =>
      sampleSde(name, sde, score, new Streams(0).perSample("s", 0, 2000), {
        dim: 2,
        tEnd: 1e-3,
        nfe,
        tolerance: 1e-3,
      })
    );
    const q = j.measure(r.x).quality;
    assert.equal(q.modesCovered, 8, `${name}: modes`);
    assert.ok(Math.abs(q.mmd2) <= 3 * floor, `${name}: MMD² ${q.mmd2} (floor scale ${floor})`);
    assert.equal(r.nfe, nfe, `${name}: NFE reported`);
  }
  oracle.dispose();
});

Deno.test("exact score: predictor-corrector converges as steps grow; DDIM (eta 0) and the ODE agree", async () => {
  await backend();
  const sde = vpSde();
  const oracle = new MixtureOracle(DATASETS.ring8.mixture!);
  const score = scoreFromMixtureAtTime(oracle, sde);
  const j = judge();
  const run = (name: "pc" | "ddim" | "adaptive", nfe: number) =>
    sampleSde(name, sde, score, new Streams(1).perSample("s", 0, 1000), {
      dim: 2,
      tEnd: 1e-3,
      nfe,
      tolerance: 1e-5,
    });
  const coarse = j.mmd2(run("pc", 20).x), fine = j.mmd2(run("pc", 200).x);
  assert.ok(fine < coarse && fine < 0.005, `PC MMD² ${coarse} at NFE 20 -> ${fine} at 200`);
  // DDIM with eta = 0 is deterministic: run twice, same samples; and close to the PF-ODE's map.
  const d1 = run("ddim", 200).x, d2 = run("ddim", 200).x;
  assert.deepEqual(d1, d2);
  const ode = run("adaptive", 0);
  let gap = 0;
  for (let i = 0; i < d1.length; i++) gap = Math.max(gap, Math.abs(d1[i] - ode.x[i]));
  assert.ok(gap < 0.05, `DDIM(200) vs adaptive PF-ODE from the same starts: max gap ${gap}`);
  assert.ok(ode.nfe > 10, `adaptive NFE reported: ${ode.nfe}`);
  oracle.dispose();
});

Deno.test("SDE samples do not depend on the batch (fixed-step samplers, per-sample noise)", async () => {
  await backend();
  const sde = vpSde();
  const oracle = new MixtureOracle(DATASETS.ring8.mixture!);
  const score = scoreFromMixtureAtTime(oracle, sde);
  for (const name of ["em", "pc", "rk4"] as const) {
    const o = { dim: 2, tEnd: 1e-3, nfe: 20, tolerance: 1e-3 };
    const whole = sampleSde(name, sde, score, new Streams(2).perSample("s", 0, 60), o).x;
    const part = sampleSde(name, sde, score, new Streams(2).perSample("s", 20, 17), o).x;
    assert.deepEqual(part, whole.subarray(40, 74), name);
  }
  oracle.dispose();
});

Deno.test("a sweep split by sampler (one part each) and joined is the sweep in one piece", async () => {
  await backend();
  const sde = vpSde();
  const mixture = DATASETS.ring8.mixture!;
  const oracle = new MixtureOracle(mixture);
  const exact = scoreFromMixtureAtTime(oracle, sde);
  // A second score that differs (a scaled exact score), so the join must keep the two apart.
  const damped: ScoreFn = (x, t) => tf.tidy(() => tf.mul(0.9, exact(x, t)) as tf.Tensor2D);
  const scores: [string, ScoreFn][] = [["learned", damped], ["exact", exact]];
  const c: SweepConfig = {
    samplers: ["em", "ddim", "heun", "adaptive"],
    nfes: [8, 16],
    tolerances: [1e-1, 1e-2],
    samples: 60,
    headlineNfe: 16,
    tEnd: 1e-3,
  };
  const env = () => ({
    streams: new Streams(3),
    progress: createProgress("x", "silent"),
    checkpoints: NO_CHECKPOINTS,
  });
  const j = judge();
  const whole = await samplerSweep(env(), sde, scores, j, mixture, c);
  const parts = [];
  for (const s of [...c.samplers].reverse()) {
    parts.push(await samplerSweep(env(), sde, scores, j, mixture, { ...c, samplers: [s] }));
  }
  const joined = joinSweeps(parts, c);
  const strip = (r: SweepResult) => ({
    ...r,
    timeRows: r.timeRows.map(({ seconds: _, ...k }) => k),
  });
  assert.deepEqual(strip(joined), strip(whole));
  assert.deepEqual(Object.keys(joined.metrics), Object.keys(whole.metrics), "same metric order");
  assert.ok(whole.metrics.mmd2_em !== whole.metrics.oracleMmd2_em, "the two scores differ");
  assert.equal(whole.rows.length, 2 * 4 * 2);
  oracle.dispose();
});

import { correctorScale, correctorStepSize } from "../core/samplers/pc.ts";

Deno.test("the corrector's step size: 2 a (r |z| / |s|)^2 from the batch's mean norms, or 2 a r^2 std(t)^2 expected", async () => {
  await backend();
  await noLeak(() => {
    // Rows of the score with norms 1 and 3 (mean 2), of the noise with norms 2 and 4 (mean 3).
    const cs = tf.tensor2d([[0.6, 0.8], [0, -3]]);
    const z = tf.tensor2d([[2, 0], [2.4, 3.2]]);
    const snr = 0.16;
    for (const [sde, t, s] of [[veSde(), 0.5, 0.49], [vpSde(), 0.5, 0.49]] as const) {
      const a = sde.name === "ve" ? 1 : (sde.meanCoef(t) / sde.meanCoef(s)) ** 2;
      assert.equal(correctorScale(sde, t, s), a, `${sde.name}: a`);
      const batch = correctorStepSize(sde, t, s, snr, "batch", cs, z);
      const want = 2 * a * (snr * 3 / 2) ** 2;
      assert.ok(Math.abs(batch.dataSync()[0] - want) <= 1e-6 * want, `${sde.name}: batch norms`);
      const expected = correctorStepSize(sde, t, s, snr, "expected", cs, z);
      const e = 2 * a * snr * snr * sde.std(t) ** 2;
      assert.ok(Math.abs(expected.dataSync()[0] - e) <= 1e-6 * e, `${sde.name}: expected norms`);
      tf.dispose([batch, expected]);
    }
    assert.ok(correctorScale(vpSde(), 0.5, 0.49) < 1, "VP: the mean shrinks forward, a < 1");
    tf.dispose([cs, z]);
  });
});
