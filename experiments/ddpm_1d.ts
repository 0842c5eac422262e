/**
 * `ddpm-1d`: seed 000 exercise 2. A DDPM on a 1-D two-component mixture; the learned epsilon network
 * turned into a score, s_theta = -eps_theta / sqrt(1 - alphaBar_t), against the exact score of the
 * noised mixture at several t (noise prediction and score estimation are one thing), and the
 * samples' histogram over the true density.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import { judgeSamples, QUALITY, QUALITY_METRICS } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ddpm1dPage, WINDOW } from "./ddpm_1d.page.ts";

/** The config of `ddpm-1d`. */
export interface Ddpm1dConfig extends ddpm.DdpmBase {
  data: DataConfig<"mixture1d">;
  sample: ddpm.AncestralConfig;
  /**
   * Time indices at which the learned score is compared with the exact one, and where: x with
   * p_t(x) at least `densityFloor`.
   */
  scores: { steps: number[]; densityFloor: number };
  quality: QualityOptions;
}

const full: Ddpm1dConfig = {
  data: { dataset: "mixture1d", trainSize: 5000 },
  ...ddpm.SEED_004,
  train: { ...ddpm.SEED_004.train, epochs: 300 },
  sample: { samples: 5000, sampleBatch: 5000, variance: "beta" },
  scores: { steps: [0, 25, 50, 100, 199], densityFloor: 0.01 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<Ddpm1dConfig>({
  data: dataSection(["mixture1d"] as const),
  ...ddpm.DDPM_SECTIONS,
  sample: ddpm.ANCESTRAL,
  scores: {
    schema: { steps: rules.list(rules.int(0), 1, 10), densityFloor: rules.positive(1) },
  },
  quality: QUALITY,
}, [
  ddpm.timeIndicesOfChain("scores.steps", (c) => c.scores.steps),
  trainingFitsData,
]);

/** The experiment `ddpm-1d`. */
export const ddpm1d: Experiment<Ddpm1dConfig> = {
  name: "ddpm-1d",
  title: "DDPM in one dimension: noise prediction is score estimation",
  description:
    "Seed 000 exercise 2: a 200-step DDPM on 0.3 N(−2, 0.5²) + 0.7 N(1.5, 0.5²). The trained " +
    "ε-network gives the score s_θ = −ε_θ/√(1 − ᾱ_t), compared with the exact score of the noised mixture at " +
    "several t; the samples' histogram is set over the true density.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 30 },
      sample: { samples: 2000, sampleBatch: 2000 },
      quality: { referenceSize: 2000 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...QUALITY_METRICS,
    "scoreMaxError_t*": {
      description: "max |s_θ − ∇log p_t| over x in [−5, 5] where p_t(x) ≥ the density floor",
      better: "lower",
    },
    "scoreRelError_t*": {
      description: "the same max error divided by the max |∇log p_t| on that set",
      better: "lower",
      headline: true,
    },
    ...ddpm.DDPM_METRICS,
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const mixture = data.dataset.mixture!;
    const model = await ddpm.trainEpsNet(env, data.x, c, { dim: 1 });
    try {
      const grid = Float32Array.from(
        { length: 401 },
        (_, i) => WINDOW[0] + (i * (WINDOW[1] - WINDOW[0])) / 400,
      );
      const metrics: Record<string, number> = {};
      const scores = c.scores.steps.map((t) => {
        const s = ddpm.scoreCheck1d(model, mixture, grid, t, c.scores.densityFloor);
        metrics[`scoreMaxError_t${t}`] = s.maxError;
        metrics[`scoreRelError_t${t}`] = s.relError;
        return s;
      });
      const samples = await ddpm.sampleAncestral(env, model, c.sample, { dim: 1 });
      const judged = judgeSamples(data.dataset, c.quality, samples.x);
      Object.assign(metrics, judged.quality, { finalLoss: model.finalLoss });
      return {
        metrics,
        details: { perMode: judged.perMode },
        files: [{ name: "samples.csv", content: samplesCsv(samples.x, 1) }],
        probe: judged.probe,
        ...ddpm1dPage(c, { mixture, grid, scores, samples: samples.x }),
      };
    } finally {
      model.dispose();
    }
  },
};
