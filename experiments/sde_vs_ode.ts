/**
 * `sde-vs-ode`: seed 000 exercise 3. A VP-SDE score model (continuous-time DSM on ring8) sampled by
 * the reverse SDE, predictor-corrector, DDIM and the PF-ODE (Euler, Heun, RK4, Dormand-Prince) at
 * several NFE, beside the exact score (discretisation vs learning error); test NLL vs the entropy.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { mixtureEntropy } from "../core/data/mixtures.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import {
  type SavedSdeNet,
  SDE_TRAIN,
  type SdeTrainConfig,
  testNll,
  TIME_NET,
  type TimeNetConfig,
  trainSavedSdeNet,
  VP_SDE,
  type VpSdeConfig,
  withSdeScores,
} from "../core/recipes/sde.ts";
import {
  joinSweeps,
  samplerSweep,
  sampleSde,
  SDE_SAMPLERS,
  type SdeSamplerName,
  SWEEP,
  SWEEP_METRICS,
  type SweepConfig,
  type SweepResult,
} from "../core/recipes/sde_samplers.ts";
import { QUALITY, QUALITY_METRICS } from "../core/recipes/quality.ts";
import {
  DEFAULT_QUALITY,
  QualityJudge,
  type QualityOptions,
  QUICK_QUALITY,
} from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { SDE_CHECK_METRICS, sdeSamplerChecks } from "../core/recipes/sde_checks.ts";
import { TEST_IN_TRAINING_METRIC } from "../core/metrics/held_out.ts";
import { sdeVsOdePage } from "./sde_vs_ode.page.ts";

/** The config of `sde-vs-ode`. */
export interface SdeVsOdeConfig {
  data: DataConfig<"ring8" | "three_clusters" | "grid25">;
  sde: VpSdeConfig;
  model: TimeNetConfig;
  train: SdeTrainConfig;
  sweep: SweepConfig;
  /** Test points (from the true law) for the NLL. */
  nll: { points: number };
  quality: QualityOptions;
}

const full: SdeVsOdeConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  sde: { betaMin: 0.1, betaMax: 20 },
  model: { hidden: [128, 128, 128], frequencies: 16, maxFrequency: 200 },
  train: { batchSize: 256, epochs: 400, lr: 1e-3, tMin: 1e-5, ema: 0.999 },
  sweep: {
    samplers: [...SDE_SAMPLERS],
    nfes: [10, 20, 50, 100, 200, 500],
    tolerances: [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4],
    samples: 2000,
    headlineNfe: 100,
    tEnd: 1e-3,
  },
  nll: { points: 500 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<SdeVsOdeConfig>({
  data: dataSection(["ring8", "three_clusters", "grid25"] as const),
  sde: VP_SDE,
  model: TIME_NET,
  train: SDE_TRAIN,
  sweep: SWEEP,
  nll: { schema: { points: rules.int(1, 100_000) } },
  quality: QUALITY,
}, [trainingFitsData]);

/** The experiment `sde-vs-ode`. */
export const sdeVsOde: Experiment<SdeVsOdeConfig> = {
  name: "sde-vs-ode",
  title: "Reverse SDE, predictor-corrector, DDIM and probability-flow ODE",
  description:
    "Seed 000 exercise 3: a VP-SDE (β from 0.1 to 20) score model for ring8, trained by continuous-time " +
    "DSM (ε-prediction, λ(t) = std(t)²), sampled by seven samplers at NFE from 10 to 500, beside the same sweep " +
    "driven by the exact score of the noised mixture. The model's NLL by the probability-flow ODE is set beside " +
    "the entropy of ring8, the best any model can do.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 12 },
      sweep: { nfes: [10, 50], tolerances: [1e-1, 1e-2], headlineNfe: 50, samples: 500 },
      nll: { points: 100 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...QUALITY_METRICS,
    ...SWEEP_METRICS,
    nll: {
      description:
        "the model's mean NLL of test points by the PF-ODE (adaptive, exact divergence, from t = 1e-5)",
      better: "lower",
      unit: "nats",
      headline: true,
    },
    testInTraining: TEST_IN_TRAINING_METRIC,
    entropy: {
      description: "entropy of the true law (Monte Carlo, 200k draws): the lowest achievable NLL",
      gate: { exact: "float64" },
      unit: "nats",
    },
    finalLoss: { description: "mean loss over the last epoch", better: "lower" },
    ...SDE_CHECK_METRICS,
  },

  parts: (c) => ["train", ...c.sweep.samplers],
  partNeeds: (c) => Object.fromEntries(c.sweep.samplers.map((s) => [s, ["train"]])),

  async runPart(env, part) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    if (part === "train") return { ...await trainSavedSdeNet(env, data.x, c) };
    const judge = new QualityJudge(data.dataset, c.quality);
    const mixture = data.dataset.mixture!;
    const sweep = { ...c.sweep, samplers: [part as SdeSamplerName] };
    const saved = env.parts!.train as unknown as SavedSdeNet;
    return {
      ...await withSdeScores(
        c,
        saved,
        mixture,
        (m, scores) => samplerSweep(env, m.sde, scores, judge, mixture, sweep),
      ),
    };
  },

  async run(env) {
    const c = env.config, sw = c.sweep;
    const data = loadData(c.data, env.streams);
    const mixture = data.dataset.mixture!;
    const judge = new QualityJudge(data.dataset, c.quality);
    const sweep = joinSweeps(sw.samplers.map((s) => env.parts![s] as unknown as SweepResult), sw);
    const saved = env.parts!.train as unknown as SavedSdeNet;
    return await withSdeScores(c, saved, mixture, async (model, [[, learned]]) => {
      // The main sample set: the learned model, reverse SDE at the largest NFE.
      const last = sw.nfes[sw.nfes.length - 1];
      const main = sweep.samples.find((s) => s.sampler === "em" && s.budget === last)?.x ??
        sampleSde("em", model.sde, learned, env.streams.perSample("sample", 0, sw.samples), {
          dim: 2,
          tEnd: sw.tEnd,
          nfe: last,
          tolerance: 1e-3,
        }).x;
      const { quality, perMode } = judge.measure(main);
      const nll = await testNll(env, model.sde, learned, data.dataset, c.nll.points, data.x);
      const entropy = mixtureEntropy(mixture, 200_000, env.streams.get("entropy"));
      return {
        metrics: {
          ...sweep.metrics,
          ...quality,
          nll: nll.nll,
          testInTraining: nll.testInTraining,
          entropy: entropy.entropy,
          finalLoss: saved.finalLoss,
          ...sdeSamplerChecks(env, model.sde, Math.max(1, Math.floor(sw.headlineNfe / 2)), sw.tEnd),
        },
        details: { sweep: sweep.rows, perMode, nllNfe: nll.nfe, entropyStdError: entropy.stdError },
        timings: { samplingSeconds: sweep.timeRows },
        files: [
          { name: "samples.csv", content: samplesCsv(main) },
          ...sweep.samples.map((s) => ({
            // By budget, which names the cell: an adaptive solve's NFE is what its tolerance
            // needed, and two tolerances can need the same (55 twice in the full profile).
            name: `samples_${s.sampler}_${s.budget}.csv`,
            content: samplesCsv(s.x),
          })),
        ],
        probe: judge.probe(main),
        ...sdeVsOdePage(c, { sweep, nll, entropy, reference: judge.reference }),
      };
    });
  },
};
