/**
 * `conditional-onehot`: seed 004, section 16.8.1 as written. A DDPM noise predictor conditioned on
 * the mode index of ring8 (one-hot, concatenated with x and the time embedding), 1000 epochs of
 * batch 256; 100 samples per label with the seed's conditional sampler (posterior variance).
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { oneHot } from "../core/nn/network.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import * as conditional from "../core/recipes/conditional.ts";
import { labelAccuracy } from "../core/metrics/conditional.ts";
import { judgeSamples, QUALITY, QUALITY_METRICS } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions } from "../core/metrics/quality.ts";
import { pointsAsRows, toCsv } from "../core/report/csv.ts";
import { conditionalOnehotPage } from "./conditional_onehot.page.ts";

/** The data sets with mode labels. */
const LABELLED = ["ring8", "three_clusters", "grid25"] as const;

/** The config of `conditional-onehot`. */
export interface ConditionalOnehotConfig extends ddpm.DdpmBase {
  data: DataConfig<(typeof LABELLED)[number]>;
  /** Samples per label. */
  sample: conditional.ConditionalSamplingConfig;
  /** Conditional Langevin with the same network (seed 000, exercise 4), beside the exact score. */
  langevin: conditional.ConditionalLangevinConfig;
  quality: QualityOptions;
}

const full: ConditionalOnehotConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  sample: { perCondition: 100, variance: "posterior" },
  langevin: { levels: 20, stepsPerLevel: 50, alpha: 2e-5 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<ConditionalOnehotConfig>({
  data: dataSection(LABELLED),
  ...ddpm.DDPM_SECTIONS,
  sample: conditional.CONDITIONAL_SAMPLING,
  langevin: conditional.CONDITIONAL_LANGEVIN,
  quality: QUALITY,
}, [trainingFitsData]);

/** The experiment `conditional-onehot`. */
export const conditionalOnehot: Experiment<ConditionalOnehotConfig> = {
  name: "conditional-onehot",
  title: "Class-conditional DDPM (one-hot mode index)",
  description:
    "Seed 004, section 16.8.1 as written: ring8 with its mode labels; the noise predictor takes x, the " +
    "learned time embedding and the one-hot label; 1000 epochs of batch 256; 100 samples per label with the " +
    "posterior-variance sampler. Conditional accuracy: the fraction of samples asked for label k that are within " +
    "3 std of a mode and nearest to mode k.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 40 },
      sample: { perCondition: 50 },
      langevin: { levels: 10, stepsPerLevel: 20 },
      quality: { referenceSize: 2000, permutations: 50, permutationSize: 200 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...QUALITY_METRICS,
    mmd2: { ...QUALITY_METRICS.mmd2, headline: false },
    "accuracy_label*": { description: "conditional accuracy for this label", better: "higher" },
    accuracyMin: {
      description: "the lowest conditional accuracy over labels",
      better: "higher",
      headline: true,
    },
    accuracyMean: {
      description: "mean conditional accuracy over labels",
      better: "higher",
      headline: true,
    },
    ...ddpm.DDPM_METRICS,
    "langevinAccuracy_*": {
      description:
        "conditional Langevin with the network: lowest (`min`) and mean accuracy over labels",
      better: "higher",
    },
    "langevinExactAccuracy_*": {
      description: "the same sampler on the exact conditional score",
      better: "higher",
    },
    langevinOracleOff: {
      description: "sampler check: the largest error of that exact conditional score, at three " +
        "points per label and every level, against its Gaussian component's closed form " +
        "-(x - √ᾱ μ_k) / (ᾱ std² + 1 − ᾱ), relative to 1 + |closed form|; float32 rounding when right",
      better: "lower",
      gate: { exact: "float32" },
    },
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const m = data.dataset.mixture!;
    const K = m.means.length;
    const labels = data.labels!;
    const model = await ddpm.trainEpsNet(env, data.x, c, {
      features: [{ kind: "input", name: "label", dim: K }],
      featureValues: (idx) => ({ label: oneHot(Array.from(idx, (i) => labels[i]), K) }),
    });
    try {
      const labelRows = Array.from({ length: K }, (_, k) => ({ label: oneHot([k], K) }));
      const s = await conditional.sampleConditions(env, model, labelRows, c.sample);
      const acc = labelAccuracy(s.byCondition, m.means, m.std);
      const rows = Array.from({ length: K }, (_, k) => ({ label: oneHot([k], K) }));
      const lv = conditional.conditionalLangevin(
        env,
        model,
        rows,
        m,
        c.sample.perCondition,
        c.langevin,
      );
      const lvAcc = labelAccuracy(lv.learned, m.means, m.std);
      const lvExact = labelAccuracy(lv.exact, m.means, m.std);
      const judged = judgeSamples(data.dataset, c.quality, s.x);
      return {
        metrics: {
          ...Object.fromEntries(acc.perLabel.map((a, k) => [`accuracy_label${k}`, a])),
          accuracyMin: acc.min,
          accuracyMean: acc.mean,
          langevinAccuracy_min: lvAcc.min,
          langevinAccuracy_mean: lvAcc.mean,
          langevinExactAccuracy_min: lvExact.min,
          langevinExactAccuracy_mean: lvExact.mean,
          langevinOracleOff: lv.oracleOff,
          ...judged.quality,
          finalLoss: model.finalLoss,
        },
        details: { perMode: judged.perMode, accuracy: acc.perLabel },
        files: [{
          name: "samples.csv",
          content: toCsv(["x", "y", "label"], pointsAsRows(s.x, 2, (i) => [s.condition[i]])),
        }, {
          name: "langevin.csv",
          content: toCsv(["x", "y", "label", "score"], [
            ...lv.learned.flatMap((x, k) => [...pointsAsRows(x, 2, () => [k, "network"])]),
            ...lv.exact.flatMap((x, k) => [...pointsAsRows(x, 2, () => [k, "exact"])]),
          ]),
        }],
        probe: judged.probe,
        ...conditionalOnehotPage(c, {
          data: data.x,
          byLabel: s.byCondition,
          accuracy: acc.perLabel,
          lossByEpoch: model.lossByEpoch,
          langevin: { learned: lv.learned, accuracy: lvAcc, exact: lvExact },
        }),
      };
    } finally {
      model.dispose();
    }
  },
};
