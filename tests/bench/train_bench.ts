/**
 * (a) One training step (batch 256, Adam) of each network family in the harness, with the objective
 * it is trained by in the experiments. "ddpm (seed network)" is the work torch_ref.py times.
 */
import * as tf from "@tensorflow/tfjs";
import { Network, oneHot } from "../../core/nn/network.ts";
import type { NetworkSpec } from "../../core/nn/spec.ts";
import { Adam } from "../../core/nn/adam.ts";
import { type GradientMode, trainStep } from "../../core/nn/train.ts";
import type { Weights } from "../../core/nn/weights.ts";
import {
  ddpmNoisePredictor,
  noiseConditionalMlp,
  noisyClassifier,
  scoreNet2d,
  timeConditionalMlp,
} from "../../core/nn/architectures.ts";
import {
  epsFromNetwork,
  logSigmaInput,
  scoreFunctionOf,
  sigmaScoreFromNetwork,
} from "../../core/models.ts";
import { ddpmLoss, ddpmRegression, drawTimesAndNoise } from "../../core/objectives/ddpm.ts";
import { type RegressionBatch, regressionStep } from "../../core/nn/regression.ts";
import { dsmLoss, dsmRegression } from "../../core/objectives/dsm.ts";
import { drawSigmas, ncsnLoss, ncsnRegression } from "../../core/objectives/ncsn.ts";
import { continuousDsmRegression, drawTimes } from "../../core/objectives/continuous_dsm.ts";
import { exactScoreMatchingLoss } from "../../core/objectives/score_matching.ts";
import {
  drawProjections,
  slicedScoreMatchingLoss,
} from "../../core/objectives/sliced_score_matching.ts";
import { crossEntropy } from "../../core/guidance/classifier.ts";
import { linearBetaSchedule, marginalCoefficients, qSample } from "../../core/noise/schedules.ts";
import { vpSde } from "../../core/noise/sde.ts";
import { gatherRows, Minibatches } from "../../core/data/loader.ts";
import { WorkerPool } from "../../core/parallel/pool.ts";
import { ddpmDataParallelStep } from "../../core/parallel/data_parallel.ts";
import { SharedDdpmStepper } from "../../core/parallel/shared_step.ts";
import { B, ring8, streams, T } from "./shared.ts";

const schedule = linearBetaSchedule(T);
const draws = streams.get("train");
const labels = (n: number) => oneHot(Array.from({ length: n }, () => draws.int(8)), 8);
const ddpm = ddpmNoisePredictor({ T, timeEmbedDim: 16, hidden: [128, 128] });

/** The DDPM loss of a noise predictor with extra inputs, as the experiments train it (no tape). */
const ddpmRegressionOf =
  (extra: (n: number) => Record<string, tf.Tensor2D>) => (net: Network, x0: Float32Array) => {
    const n = x0.length / 2;
    const { t, eps } = drawTimesAndNoise(n, 2, T, draws);
    return ddpmRegression(net, schedule, x0, t, eps, extra(n));
  };

/** The NCSN loss of seed 000's noise-conditional MLP on rows x0, as the experiments train it. */
function ncsnOf(x0: Float32Array): RegressionBatch {
  const n = x0.length / 2;
  const sigma = drawSigmas(n, { kind: "logUniform", min: 0.01, max: 1 }, draws);
  const z = draws.normals(n * 2);
  return ncsnRegression(x0, sigma, z, { logSigma: logSigmaInput(tf.tensor2d(sigma, [n, 1])) });
}

/** The same through tfjs's tape (`trainStep`), for comparison. */
const ddpmOf =
  (extra: (n: number) => Record<string, tf.Tensor2D>) =>
  (net: Network, w: Weights, x0: tf.Tensor2D) => {
    const n = x0.shape[0];
    const { t, eps } = drawTimesAndNoise(n, 2, T, draws);
    return ddpmLoss(epsFromNetwork(net, w, T, extra(n)), schedule, x0, t, tf.tensor2d(eps, [n, 2]));
  };

interface Family {
  name: string;
  spec: NetworkSpec;
  /** Rows per step (default B). */
  batch?: number;
  loss?: (net: Network, w: Weights, x0: tf.Tensor2D) => tf.Scalar;
  /** Or a regression of the output (`regressionStep`, no tape). */
  regression?: (net: Network, x0: Float32Array) => RegressionBatch;
  gradient?: GradientMode;
  /**
   * Steps trained (at this rate) before the bench: a ReLU network's zeros, which the kernels skip,
   * grow with training (here ~50% of the hidden units at init, ~60% and ~80% after 20,000 steps).
   */
  pretrain?: { steps: number; lr: number };
}

const FAMILIES: Family[] = [
  { name: "ddpm (seed network)", spec: ddpm, regression: ddpmRegressionOf(() => ({})) },
  { name: "ddpm (seed network), through the tape", spec: ddpm, loss: ddpmOf(() => ({})) },
  {
    name: "ddpm (seed network), after 2000 steps at the seed's lr",
    spec: ddpm,
    regression: ddpmRegressionOf(() => ({})),
    pretrain: { steps: 2000, lr: 1e-3 },
  },
  {
    name: "ddpm + one-hot label",
    spec: { ...ddpm, features: [...ddpm.features, { kind: "input", name: "label", dim: 8 }] },
    regression: ddpmRegressionOf((n) => ({ label: labels(n) })),
  },
  {
    name: "ddpm + radius MLP",
    spec: {
      ...ddpm,
      features: [...ddpm.features, {
        kind: "mlp",
        name: "radius",
        sizes: [1, 16, 16],
        activation: "relu",
      }],
    },
    regression: ddpmRegressionOf((n) => ({ radius: tf.tensor2d(draws.normals(n), [n, 1]) })),
  },
  {
    name: "noisy classifier (cross-entropy)",
    spec: noisyClassifier({ T, timeEmbedDim: 16, hidden: [128, 128] }, 8),
    loss: (net, w, x0) => {
      const n = x0.shape[0];
      const { t, eps } = drawTimesAndNoise(n, 2, T, draws);
      const c = marginalCoefficients(schedule, t);
      const xt = qSample(x0, c.mean, c.std, tf.tensor2d(eps, [n, 2]));
      return crossEntropy(net.apply(w, xt, { t: oneHot(t, T) }), labels(n));
    },
  },
  {
    name: "ScoreNet2D, DSM (softplus 128x3)",
    spec: scoreNet2d([128, 128, 128]),
    regression: (_, x0) => dsmRegression(x0, 2, 0.5, draws.normals(x0.length)),
  },
  {
    name: "ScoreNet2D, DSM (softplus 128x3), through the tape",
    spec: scoreNet2d([128, 128, 128]),
    loss: (net, w, x0) =>
      dsmLoss((x) => net.apply(w, x), x0, 0.5, tf.tensor2d(draws.normals(B * 2), [B, 2])),
  },
  {
    name: "ScoreNet2D, exact SM (forward-mode J)",
    spec: scoreNet2d([128, 128, 128]),
    loss: (net, w, x0) => exactScoreMatchingLoss(scoreFunctionOf(net, w), x0),
  },
  {
    name: "ScoreNet2D, exact SM (forward-mode J, tfjs autodiff)",
    spec: scoreNet2d([128, 128, 128]),
    loss: (net, w, x0) => exactScoreMatchingLoss(scoreFunctionOf(net, w), x0),
    gradient: "autodiff",
  },
  {
    name: "ScoreNet2D, sliced SM (1 projection)",
    spec: scoreNet2d([128, 128, 128]),
    loss: (net, w, x0) =>
      slicedScoreMatchingLoss(
        scoreFunctionOf(net, w),
        x0,
        tf.tensor2d(drawProjections(B, 2, "rademacher", draws), [B, 2]),
      ),
  },
  {
    name: "noise-conditional MLP, NCSN (silu 128x3)",
    spec: noiseConditionalMlp([128, 128, 128]),
    regression: (_, x0) => ncsnOf(x0),
  },
  {
    // The same step as torch_ref.py's "ncsn" (batch 128, the seed's).
    name: "NCSN step as the seed (silu 128x3, batch 128)",
    spec: noiseConditionalMlp([128, 128, 128]),
    batch: 128,
    regression: (_, x0) => ncsnOf(x0),
  },
  {
    name: "NCSN step as the seed (silu 128x3, batch 128), through the tape",
    spec: noiseConditionalMlp([128, 128, 128]),
    batch: 128,
    loss: (net, w, x0) =>
      ncsnLoss(
        sigmaScoreFromNetwork(net, w),
        x0,
        tf.tensor2d(drawSigmas(x0.shape[0], { kind: "logUniform", min: 0.01, max: 1 }, draws), [
          x0.shape[0],
          1,
        ]),
        tf.tensor2d(draws.normals(x0.shape[0] * 2), x0.shape),
      ),
  },
  {
    name: "time-conditional MLP, VP-SDE DSM",
    spec: timeConditionalMlp({ hidden: [128, 128, 128], frequencies: 16, maxFrequency: 200 }),
    regression: (_, x0) =>
      continuousDsmRegression(vpSde(), x0, drawTimes(B, 1e-5, 1, draws), draws.normals(B * 2)),
  },
];

for (const f of FAMILIES) {
  const net = new Network(f.spec, streams.get(`init ${f.name}`));
  const opt = new Adam(net.params, { lr: f.pretrain?.lr ?? 1e-4 });
  const rows = f.batch ?? B;
  const batches = new Minibatches(5000, rows, streams.get(`shuffle ${f.name}`));
  let step = 0;
  const loss = (w: Weights, s: number) =>
    f.loss!(net, w, tf.tensor2d(gatherRows(ring8.x, 2, batches.at(s)), [rows, 2]));
  const regression = {
    spec: f.spec,
    batch: (s: number) => f.regression!(net, gatherRows(ring8.x, 2, batches.at(s))),
  };
  const train = (s: number) =>
    f.regression
      ? regressionStep(net.params, opt, regression, s)
      : trainStep(net.params, opt, loss, s, f.gradient);
  for (; step < (f.pretrain?.steps ?? 0); step++) train(step);
  Deno.bench({
    name: `train step: ${f.name}`,
    group: "train step (batch 256)",
    baseline: f.name === "ddpm (seed network)",
    warmup: 20,
    n: 200,
    fn() {
      train(step++);
    },
  });
}

// The seed network trained data-parallel on two workers (serial-identical bytes; see NOTES).
const pool = await WorkerPool.start(2);
{
  const net = new Network(ddpm, streams.get("init data-parallel"));
  const opt = new Adam(net.params, { lr: 1e-4 });
  const batches = new Minibatches(5000, B, streams.get("shuffle data-parallel"));
  let step = 0;
  const one = (p: WorkerPool | null) => {
    const { t, eps } = drawTimesAndNoise(B, 2, T, draws);
    const x0 = gatherRows(ring8.x, 2, batches.at(step++));
    return ddpmDataParallelStep(p, 2, net, opt, schedule.beta, { x0, t, eps, dim: 2 });
  };
  Deno.bench({
    name: "train step: ddpm, 2 shards, serial mode",
    group: "train step (batch 256)",
    warmup: 20,
    n: 200,
    async fn() {
      await one(null);
    },
  });
  Deno.bench({
    name: "train step: ddpm, 2 shards on 2 workers",
    group: "train step (batch 256)",
    warmup: 20,
    n: 200,
    async fn() {
      await one(pool);
    },
  });
}
// The same shards with this thread and one resident worker meeting over shared memory.
const shared = await (async () => {
  const net = new Network(ddpm, streams.get("init data-parallel"));
  const opt = new Adam(net.params, { lr: 1e-4 });
  const batches = new Minibatches(5000, B, streams.get("shuffle data-parallel"));
  const stepper = await SharedDdpmStepper.start(net, schedule.beta, B, 2);
  let step = 0;
  Deno.bench({
    name: "train step: ddpm, 2 shards, shared memory (this thread + 1 worker)",
    group: "train step (batch 256)",
    // the worker's code takes a few hundred steps to reach its optimized tier
    warmup: 600,
    n: 1000,
    fn() {
      const { t, eps } = drawTimesAndNoise(B, 2, T, draws);
      const x0 = gatherRows(ring8.x, 2, batches.at(step++));
      stepper.step(opt, { x0, t, eps, dim: 2 });
    },
  });
  return stepper;
})();
addEventListener("unload", () => {
  pool.close();
  shared.close();
});
