/**
 * `ddpm-loss-forms`: seed 004's claim (section 16.4) that predicting the noise is "a simpler, more
 * stable objective" than regressing the score, measured: the same network, data and optimizer
 * trained on the score form and on the epsilon form, each sampled by the same ancestral chain and
 * each compared with the chain's exact epsilon at several time indices.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import { perPartQualityMetrics, QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import {
  DEFAULT_QUALITY,
  QualityJudge,
  type QualityOptions,
  QUICK_QUALITY,
} from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { type FormPart, lossFormsPage } from "./ddpm_loss_forms.page.ts";

/** The config of `ddpm-loss-forms`. */
export interface LossFormsConfig extends ddpm.DdpmBase {
  data: DataConfig<"ring8">;
  /** The network outputs trained, each its own part: "eps" (seed 004) and "score". */
  forms: { outputs: ddpm.ChainOutput[] };
  sample: ddpm.AncestralConfig;
  /** The comparison with the exact epsilon: `points` draws of q_t at each time index in `times`. */
  check: { points: number; times: number[]; lastEpochs: number };
  quality: QualityOptions;
}

const full: LossFormsConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  forms: { outputs: ["eps", "score"] },
  sample: { samples: 5000, sampleBatch: 5000, variance: "beta" },
  check: { points: 5000, times: [0, 5, 20, 50, 100, 199], lastEpochs: 100 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<LossFormsConfig>({
  data: dataSection(["ring8"] as const),
  ...ddpm.DDPM_SECTIONS,
  forms: { schema: { outputs: rules.list(rules.oneOf("eps", "score"), 1, 2) } },
  sample: ddpm.ANCESTRAL,
  check: {
    schema: {
      points: rules.int(2, 1_000_000),
      times: rules.list(rules.int(0, 9_999), 1, 50),
      lastEpochs: rules.int(2, 100_000),
    },
  },
  quality: QUALITY,
}, [
  trainingFitsData,
  ddpm.timeIndicesOfChain("check.times", (c) => c.check.times),
]);

/** The experiment `ddpm-loss-forms`. */
export const ddpmLossForms: Experiment<LossFormsConfig> = {
  name: "ddpm-loss-forms",
  title: "DDPM: the score-form loss against the ε-form loss",
  description:
    "Seed 004 reparameterizes its network to predict the noise ε instead of the score, calling the " +
    "result a simpler, more stable objective. The same network and optimizer trained on ring8 with " +
    "each loss, sampled by the same ancestral chain, each beside the chain's exact ε at six time indices.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 40 },
      sample: { samples: 1000, sampleBatch: 1000 },
      check: { points: 1000, lastEpochs: 10 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the ε-form network's samples"),
    ...perPartQualityMetrics("per form"),
    "epsError_*": {
      description:
        "RMS error of the network's ε against the exact ε on draws of q_t (per coordinate), per form and t",
      better: "lower",
    },
    "lossSpread_*": {
      description:
        "sd / mean of the epoch losses over the last `check.lastEpochs` epochs, per form",
      better: "lower",
    },
  },

  parts: (c) => [...c.forms.outputs, "oracle"],

  async runPart(env, part): Promise<FormPart> {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const judge = new QualityJudge(data.dataset, c.quality);
    const sub = { ...env, streams: env.streams.child(part) };
    if (part === "oracle") {
      const { x } = ddpm.sampleExact(sub, data.dataset.mixture!, c.chain, c.sample);
      return { x, quality: judge.figures(x).quality };
    }
    const model = await ddpm.trainEpsNet(sub, data.x, c, { output: part as ddpm.ChainOutput });
    try {
      const samples = await ddpm.sampleAncestral(sub, model, c.sample);
      return {
        x: samples.x,
        quality: judge.figures(samples.x).quality,
        lossByEpoch: model.lossByEpoch,
        ...ddpm.exactCheck(sub, model, data.dataset.mixture!, data.x, c.check),
      };
    } finally {
      model.dispose();
    }
  },

  run({ config: c, streams, parts }) {
    const data = loadData(c.data, streams);
    const judge = new QualityJudge(data.dataset, c.quality);
    const p = parts as Record<string, FormPart>;
    const main = p[c.forms.outputs[0]];
    const { quality, perMode } = judge.measure(main.x);
    const page = lossFormsPage(c, data.x, p);
    return Promise.resolve({
      metrics: { ...quality, ...page.metrics },
      details: { perMode },
      files: [{ name: "samples.csv", content: samplesCsv(main.x) }],
      probe: judge.probe(main.x),
      charts: page.charts,
      notes: page.notes,
    });
  },
};
