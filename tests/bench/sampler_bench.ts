/**
 * (b) Sampler steps at 5000 points: one step (one NFE) of each sampler with a network of the
 * harness, and the seed's whole DDPM sampling run (5000 x 200 steps) serially and on two workers,
 * the work torch_ref.py times.
 */
import * as tf from "@tensorflow/tfjs";
import { Network } from "../../core/nn/network.ts";
import {
  ddpmNoisePredictor,
  noiseConditionalMlp,
  timeConditionalMlp,
} from "../../core/nn/architectures.ts";
import {
  epsFromNetwork,
  scoreFromEpsNetworkAtTime,
  scoreFromMixture,
  sigmaScoreFromNetwork,
} from "../../core/models.ts";
import { linearBetaSchedule } from "../../core/noise/schedules.ts";
import { vpSde } from "../../core/noise/sde.ts";
import { ddpmSample } from "../../core/samplers/ddpm.ts";
import { ddimSample } from "../../core/samplers/ddim.ts";
import { annealedLangevin } from "../../core/samplers/annealed_langevin.ts";
import { langevin } from "../../core/samplers/langevin.ts";
import { reverseSdeSample } from "../../core/samplers/reverse_sde.ts";
import { pcSample } from "../../core/samplers/pc.ts";
import { pfOdeSample } from "../../core/samplers/pf_ode.ts";
import { MixtureOracle, ring8Mixture } from "../../core/data/mixtures.ts";
import { WorkerPool } from "../../core/parallel/pool.ts";
import { ddpmSampleParallel } from "../../core/parallel/sample.ts";
import { streams, T } from "./shared.ts";

const N = 5000;
const ddpmNet = new Network(
  ddpmNoisePredictor({ T, timeEmbedDim: 16, hidden: [128, 128] }),
  streams.get("init ddpm"),
);
const wDdpm = ddpmNet.params.fused();
const schedule = linearBetaSchedule(T);
const sigmaNet = new Network(noiseConditionalMlp([128, 128, 128]), streams.get("init ncsn"));
const wSigma = sigmaNet.params.fused();
const timeNet = new Network(
  timeConditionalMlp({ hidden: [128, 128, 128], frequencies: 16, maxFrequency: 200 }),
  streams.get("init sde"),
);
const wTime = timeNet.params.fused();
const sde = vpSde();
const timeScore = scoreFromEpsNetworkAtTime(timeNet, wTime, sde);
const noise = () => streams.perSample("sample", 0, N);
const x0 = tf.randomNormal([N, 2], 0, 1, "float32", 1) as tf.Tensor2D;
const exactScore = scoreFromMixture(new MixtureOracle(ring8Mixture()));
const one1 = linearBetaSchedule(1);
const group = "sampler step (5000 points)";

const STEPS: [string, () => { x: Float32Array }][] = [
  [
    "ddpm ancestral step (seed network)",
    () => ddpmSample(epsFromNetwork(ddpmNet, wDdpm, T), one1, noise(), { dim: 2 }),
  ],
  [
    "annealed Langevin step (noise-conditional MLP)",
    () =>
      annealedLangevin(sigmaScoreFromNetwork(sigmaNet, wSigma), x0, [0.5], noise(), {
        stepsPerLevel: 1,
        rule: { kind: "proportional", c: 0.5 },
        form: "half",
      }),
  ],
  [
    "Langevin step (exact ring8 score)",
    () =>
      langevin((x) => exactScore(x, 0), x0, noise(), {
        steps: 1,
        stepSize: 0.01,
        form: "half",
      }),
  ],
  [
    "reverse-SDE Euler-Maruyama step (time MLP)",
    () => reverseSdeSample(sde, timeScore, noise(), { steps: 1, dim: 2 }),
  ],
  [
    "predictor-corrector step (time MLP, 2 NFE)",
    () => pcSample(sde, timeScore, noise(), { steps: 1, dim: 2 }),
  ],
  [
    "PF-ODE Euler step (time MLP)",
    () =>
      pfOdeSample(sde, timeScore, noise(), { kind: "fixed", method: "euler", steps: 1 }, {
        dim: 2,
      }),
  ],
  ["DDIM step (seed network)", () => {
    const eps = epsFromNetwork(ddpmNet, wDdpm, T);
    return ddimSample((x) => eps(x, T - 1), [schedule.alphaBar[T - 1]], noise(), {
      dim: 2,
      eta: 0,
    });
  }],
];
for (const [name, run] of STEPS) {
  Deno.bench({ name, group, warmup: 3, n: 30, fn: () => void run() });
}

const pool = await WorkerPool.start(2);
const o = { betas: schedule.beta, seed: 0, name: "sample", n: N, dim: 2 };
Deno.bench({
  name: "ddpm sample 5000 x 200 steps (serial)",
  group: "ddpm sample 5000 x 200",
  baseline: true,
  warmup: 1,
  n: 4,
  async fn() {
    await ddpmSampleParallel(null, ddpmNet, o);
  },
});
Deno.bench({
  name: "ddpm sample 5000 x 200 steps (2 workers)",
  group: "ddpm sample 5000 x 200",
  warmup: 1,
  n: 4,
  async fn() {
    await ddpmSampleParallel(pool, ddpmNet, o);
  },
});
addEventListener("unload", () => pool.close());
