/**
 * `ddpm-ring8`: seed 004, sections 16.3-16.6. A DDPM (T = 200, linear betas 1e-4..0.02) with a
 * learned time embedding and an 18-128-128-2 ReLU noise predictor, trained on 5000 points of the
 * ring of 8 Gaussians (batch 256, Adam 1e-3, 1000 epochs), then 5000 ancestral samples.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { DATASET_NAMES, type DatasetRef, DATASETS } from "../core/data/datasets.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import { CHAIN_NLL_METRICS, chainNll } from "../core/recipes/chain_nll.ts";
import { REVERSE_KERNEL_METRICS, reverseKernelCheck } from "../core/recipes/reverse_kernel.ts";
import { judgeSamples, QUALITY, QUALITY_METRICS } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ddpmRing8Page } from "./ddpm_ring8.page.ts";

/** The config of `ddpm-ring8`. */
export interface DdpmRing8Config extends ddpm.DdpmBase {
  data: DataConfig;
  sample: ddpm.AncestralConfig;
  /** Time indices shown for the forward process and the reverse trajectory; points per panel. */
  figures: { steps: number[]; points: number };
  /** Test points (from the true law) for the NLL by the VP-SDE view of the chain. */
  nll: { points: number };
  quality: QualityOptions;
}

const full: DdpmRing8Config = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  sample: { samples: 5000, sampleBatch: 5000, variance: "beta" },
  figures: { steps: [0, 50, 100, 150, 199], points: 1500 },
  nll: { points: 500 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<DdpmRing8Config>({
  data: dataSection<DatasetRef>(DATASET_NAMES.filter((d) => DATASETS[d].dim === 2), true),
  ...ddpm.DDPM_SECTIONS,
  sample: ddpm.ANCESTRAL,
  figures: {
    schema: { steps: rules.list(rules.int(0), 1, 10), points: rules.positiveInt(20_000) },
  },
  nll: { schema: { points: rules.int(1, 100_000) } },
  quality: QUALITY,
}, [
  trainingFitsData,
  ddpm.timeIndicesOfChain("figures.steps", (c) => c.figures.steps),
]);

/** The experiment `ddpm-ring8`. */
export const ddpmRing8: Experiment<DdpmRing8Config> = {
  name: "ddpm-ring8",
  title: "DDPM on the ring of 8 Gaussians",
  description:
    "Seed 004 (sections 16.3-16.6) as written: a 200-step DDPM with a learned time embedding " +
    "and an 18-128-128-2 ReLU noise predictor, trained for 1000 epochs on 5000 points of ring8, then " +
    "5000 samples by the ancestral sampler (variance beta_t). Quality is measured against the true mixture.",
  seed: 0,
  // Ten seeds of each profile in the golden: the full profile is cheap enough.
  seeds: { full: 10 },
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 60 },
      sample: { samples: 2000 },
      nll: { points: 100 },
      quality: { referenceSize: 2000 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...QUALITY_METRICS,
    ...ddpm.DDPM_METRICS,
    ...CHAIN_NLL_METRICS,
    ...REVERSE_KERNEL_METRICS,
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const model = await ddpm.trainEpsNet(env, data.x, c);
    try {
      const samples = await ddpm.sampleAncestral(env, model, c.sample, {
        keep: ddpm.keptSteps(c.chain.T, c.figures.steps, 10),
      });
      const nll = await chainNll(env, model, c.chain, data.dataset, c.nll.points, data.x);
      const samplerCheck = reverseKernelCheck(env, model.schedule, data.dataset);
      const judged = judgeSamples(data.dataset, c.quality, samples.x);
      const shown = [...c.figures.steps].sort((a, b) => a - b);
      const chartData = data.x.subarray(0, 2 * c.figures.points);
      const forward = shown.map((t) =>
        ddpm.forwardSample(model.schedule, chartData, 2, t, env.streams.get("figures"))
      );
      return {
        metrics: { ...judged.quality, finalLoss: model.finalLoss, ...nll, ...samplerCheck },
        details: {
          perMode: judged.perMode,
          lossByEpoch: model.lossByEpoch,
          nfe: samples.nfe,
          trainSteps: model.steps,
        },
        files: [{ name: "samples.csv", content: samplesCsv(samples.x) }],
        probe: judged.probe,
        ...ddpmRing8Page(c, {
          data,
          model,
          samples,
          shown,
          forward,
          quality: judged.quality,
          nll,
        }),
      };
    } finally {
      model.dispose();
    }
  },
};
