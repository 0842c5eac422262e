/**
 * `guidance`: classifier-free guidance and classifier guidance on ring8 (seed 004 section 16.8 and
 * seed 002's "classifier guidance"). One conditional noise predictor is trained with the label
 * dropped (null token) with probability p_uncond, so it is both eps(x, t, y) and eps(x, t, null);
 * a noise-conditional classifier p(y | x_t, t) is trained on noised data. For each guidance weight
 * w, every label is sampled by both methods from the same starting noise.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import * as conditional from "../core/recipes/conditional.ts";
import {
  CLASSIFIER,
  type ClassifierConfig,
  classifierFitsBudget,
  GUIDANCE_METRICS,
  guidanceIdentityCheck,
  guidanceMetrics,
  guidanceSweep,
  GUIDED_TRAIN,
  type GuidedTrainConfig,
  trainGuided,
} from "../core/recipes/guidance.ts";
import { guidancePage, samplesTable } from "./guidance.page.ts";

/** The data sets with mode labels. */
const LABELLED = ["ring8", "three_clusters", "grid25", "overlap3"] as const;

/** The config of `guidance`. */
export interface GuidanceConfig extends ddpm.DdpmBase {
  data: DataConfig<(typeof LABELLED)[number]>;
  train: GuidedTrainConfig;
  classifier: ClassifierConfig;
  /** The guidance weights w of the sweep. */
  weights: number[];
  /** Samples per label. */
  sample: conditional.ConditionalSamplingConfig;
  /** Draws of each mode's component for the per-mode MMD. */
  componentReference: number;
}

const full: GuidanceConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  train: { ...ddpm.SEED_004.train, pUncond: 0.1, ema: 0.999 },
  classifier: { hidden: [128, 128], epochs: 200, lr: 1e-3 },
  weights: [0, 0.5, 1, 2, 4],
  sample: { perCondition: 100, variance: "posterior" },
  componentReference: 1000,
};

const { schema, checks } = assemble<GuidanceConfig>({
  data: dataSection(LABELLED),
  ...ddpm.DDPM_SECTIONS,
  train: GUIDED_TRAIN,
  classifier: CLASSIFIER,
  weights: rules.list(rules.number(0, 100), 1, 12),
  sample: conditional.CONDITIONAL_SAMPLING,
  componentReference: rules.int(2, 100_000),
}, [trainingFitsData, classifierFitsBudget]);

/** The experiment `guidance`. */
export const guidance: Experiment<GuidanceConfig> = {
  name: "guidance",
  title: "Classifier-free and classifier guidance",
  description:
    "One noise predictor trained on ring8 with its mode label dropped to a null token 10% of the time " +
    "(so it is conditional and unconditional), and a noise-conditional classifier; samples for every label by " +
    "classifier-free guidance, (1 + w) ε(x, t, y) − w ε(x, t, ∅), and by classifier guidance on the unconditional " +
    "branch, ε − w √(1 − ᾱ_t) ∇log p(y | x_t), for w from 0 to 4: fidelity against diversity.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 40 },
      classifier: { epochs: 20 },
      weights: [0, 1, 4],
      sample: { perCondition: 40 },
      componentReference: 500,
    }),
  },
  schema,
  checks,
  metrics: {
    ...GUIDANCE_METRICS,
    finalLoss: {
      ...ddpm.DDPM_METRICS.finalLoss,
      description: "mean training loss of the noise predictor over the last epoch",
    },
    ...ddpm.TRAINING_CHECK_METRICS,
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const guided = await trainGuided(env, data, c);
    try {
      const cells = await guidanceSweep(env, guided, data.dataset.mixture!, c);
      return {
        metrics: {
          ...guidanceMetrics(cells, c.weights),
          finalLoss: guided.eps.finalLoss,
          classifierLoss: guided.classifierLoss,
          guidanceIdentityOff: guidanceIdentityCheck(
            env,
            data.dataset.mixture!,
            guided.eps.schedule,
            c.weights,
          ),
          emaFirstUpdateOff: guided.eps.emaFirstUpdateOff,
          firstEpochDistinct: guided.eps.firstEpochDistinct,
          loaderReplayOff: guided.eps.loaderReplayOff,
        },
        details: { sweep: cells.map((cell) => cell.point) },
        files: [{ name: "samples.csv", content: samplesTable(cells) }],
        ...guidancePage(c, { data: data.x, mixture: data.dataset.mixture!, cells }),
      };
    } finally {
      guided.dispose();
    }
  },
};

/**
 * The experiment `guidance-overlap`: `guidance` on three classes that overlap (ring8's modes are
 * too far apart for the trade-off to show): stronger guidance buys label accuracy with spread.
 */
export const guidanceOverlap: Experiment<GuidanceConfig> = {
  ...guidance,
  name: "guidance-overlap",
  title: "Guidance on overlapping classes: fidelity against diversity",
  description:
    "The guidance experiment on overlap3 (three Gaussians of std 0.5 on a circle of radius 0.7, so a " +
    "point's label is uncertain: the Bayes classifier is right about 78% of the time). Classifier-free and " +
    "classifier guidance from w = 0 to 4 against the exact class-conditional laws: accuracy rises, spread and " +
    "fidelity to p(x | y) fall.",
  profiles: {
    full: derive(full, { data: { dataset: "overlap3" } }),
    quick: derive(guidance.profiles.quick, { data: { dataset: "overlap3" } }),
  },
};
