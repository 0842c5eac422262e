/**
 * `conditional-radius`: seed 004, section 16.8.2 as written. A DDPM noise predictor conditioned on a
 * continuous scalar, the radius |x| of each training point of ring8, embedded by a 1-16-16 ReLU MLP
 * and concatenated with x and the time embedding; 200 samples for each requested radius in
 * {1.5, ..., 4.0}, inside and outside the radii it was trained on.
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment } from "../core/harness/experiment.ts";
import { rules, unless } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import * as conditional from "../core/recipes/conditional.ts";
import { radii, radiusFollowing, radiusRange } from "../core/metrics/conditional.ts";
import { pointsAsRows, toCsv } from "../core/report/csv.ts";
import { conditionalRadiusPage } from "./conditional_radius.page.ts";

/** The config of `conditional-radius`. */
export interface ConditionalRadiusConfig extends ddpm.DdpmBase {
  data: DataConfig<"ring8">;
  /** The noise predictor, and the radius embedding: 1 -> ... -> last, ReLU between. */
  model: ddpm.DdpmBase["model"] & { radiusEmbed: number[] };
  /** The requested radii; samples per radius. */
  radii: number[];
  sample: conditional.ConditionalSamplingConfig;
}

const full: ConditionalRadiusConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  model: { ...ddpm.SEED_004.model, radiusEmbed: [1, 16, 16] },
  radii: [1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
  sample: { perCondition: 200, variance: "posterior" },
};

const { schema, checks } = assemble<ConditionalRadiusConfig>({
  data: dataSection(["ring8"] as const),
  ...ddpm.DDPM_SECTIONS,
  model: {
    schema: {
      ...ddpm.DDPM_SECTIONS.model.schema,
      radiusEmbed: rules.list(rules.positiveInt(1024), 2, 6),
    },
    checks: [(m) =>
      unless(
        m.radiusEmbed[0] === 1,
        "radiusEmbed",
        m.radiusEmbed,
        "sizes starting with 1 (one scalar in)",
      )],
  },
  radii: rules.list(rules.number(0, 100), 1, 20),
  sample: conditional.CONDITIONAL_SAMPLING,
}, [trainingFitsData]);

/** The experiment `conditional-radius`. */
export const conditionalRadius: Experiment<ConditionalRadiusConfig> = {
  name: "conditional-radius",
  title: "Conditioning on a continuous value (radius)",
  description:
    "Seed 004, section 16.8.2 as written: the noise predictor takes x, the time embedding and the " +
    "radius |x| of each training point, embedded by a 1-16-16 ReLU MLP; 200 samples for each requested radius " +
    "from 1.5 to 4.0. The training data's radii cluster around 3 (ring radius 3, mode std 0.25), so most " +
    "requests lie outside anything the model saw.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, { train: { epochs: 40 }, sample: { perCondition: 100 } }),
  },
  schema,
  checks,
  metrics: {
    "radiusMean_r*": { description: "mean |x| of the samples asked for this radius" },
    "radiusStd_r*": { description: "standard deviation of |x| of those samples" },
    "radiusError_r*": {
      description: "|mean |x| − requested radius|",
      better: "lower",
      headline: true,
    },
    trainRadiusLow: { description: "1st percentile of the training radii" },
    trainRadiusHigh: { description: "99th percentile of the training radii" },
    ...ddpm.DDPM_METRICS,
    adamFirstStep: {
      description:
        "optimizer check: the largest move of a weight at Adam's first update, in units of lr " +
        "(bias-corrected moments make it |g| / (|g| + ε) ≈ 1)",
      gate: { exact: "float32" },
    },
    adamMomentsOff: {
      description:
        "optimizer check: fraction of weights whose moments after Adam's first update break " +
        "v₁ = (1 − β₂) (m₁ / (1 − β₁))² (β = 0.9, 0.999) beyond 1e-5 relative; 0 when right",
      better: "lower",
      gate: { exact: "float32" },
    },
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const r = radii(data.x);
    const range = radiusRange(r);
    const model = await ddpm.trainEpsNet(env, data.x, c, {
      features: [{ kind: "mlp", name: "radius", sizes: c.model.radiusEmbed, activation: "relu" }],
      featureValues: (idx) => ({
        radius: tf.tensor2d(Float32Array.from(idx, (i) => r[i]), [idx.length, 1]),
      }),
    });
    try {
      const conditions = c.radii.map((v) => ({ radius: tf.tensor2d([[v]]) }));
      const s = await conditional.sampleConditions(env, model, conditions, c.sample);
      const { rows, metrics } = radiusFollowing(s.byCondition, c.radii, range);
      return {
        metrics: {
          trainRadiusLow: range.low,
          trainRadiusHigh: range.high,
          ...metrics,
          finalLoss: model.finalLoss,
          adamFirstStep: model.firstStep,
          adamMomentsOff: model.adamMomentsOff,
        },
        details: { radii: rows },
        files: [{
          name: "samples.csv",
          content: toCsv(
            ["x", "y", "radius"],
            pointsAsRows(s.x, 2, (i) => [c.radii[s.condition[i]]]),
          ),
        }],
        ...conditionalRadiusPage(c, { data: data.x, byRadius: s.byCondition, rows, range }),
      };
    } finally {
      model.dispose();
    }
  },
};
