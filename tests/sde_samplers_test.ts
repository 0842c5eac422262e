import assert from "node:assert/strict";
import { DATASETS } from "../core/data/datasets.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { vpSde } from "../core/noise/sde.ts";
import { sampleSde } from "../core/recipes/sde_samplers.ts";
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
