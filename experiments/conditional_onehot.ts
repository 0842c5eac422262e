/**
 * `conditional-onehot`: seed 004, section 16.8.1 as written. A DDPM noise predictor conditioned on
 * the mode index of ring8 (one-hot, concatenated with x and the time embedding), 1000 epochs of
 * batch 256; 100 samples per label with the seed's conditional sampler (posterior variance).
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment, RunOutput } from "../core/harness/experiment.ts";
import { batchFitsData, betaOrder, epochBudget, rules } from "../core/spec/rules.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { Network, oneHot } from "../core/nn/network.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { epsFromNetwork } from "../core/models.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { trainDdpm } from "../core/recipes/ddpm.ts";
import { blockMeans } from "../core/recipes/train.ts";
import { sampleByCondition } from "../core/recipes/conditional.ts";
import type { DdpmVariance } from "../core/samplers/ddpm.ts";
import { conditionalAccuracy } from "../core/metrics/conditional.ts";
import { DEFAULT_QUALITY, QualityJudge, type QualityOptions } from "../core/metrics/quality.ts";
import { QUALITY_METRICS, QUALITY_RULE } from "../core/recipes/quality.ts";
import {
  barChart,
  dataWindow,
  lineChart,
  pointRows,
  scatterPanels,
} from "../core/report/charts.ts";
import { pointsAsRows, toCsv } from "../core/report/csv.ts";

/** The config of `conditional-onehot`. */
export interface ConditionalOnehotConfig {
  dataset: "ring8" | "three_clusters" | "grid25";
  trainSize: number;
  T: number;
  betaStart: number;
  betaEnd: number;
  timeEmbedDim: number;
  hidden: number[];
  batchSize: number;
  epochs: number;
  lr: number;
  samplesPerLabel: number;
  /** The seed's conditional sampler uses the posterior variance. */
  variance: DdpmVariance;
  quality: QualityOptions;
}

const full: ConditionalOnehotConfig = {
  dataset: "ring8",
  trainSize: 5000,
  T: 200,
  betaStart: 1e-4,
  betaEnd: 0.02,
  timeEmbedDim: 16,
  hidden: [128, 128],
  batchSize: 256,
  epochs: 1000,
  lr: 1e-3,
  samplesPerLabel: 100,
  variance: "posterior",
  quality: DEFAULT_QUALITY,
};

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
    quick: {
      ...full,
      epochs: 40,
      samplesPerLabel: 50,
      quality: { ...DEFAULT_QUALITY, referenceSize: 2000, permutations: 50, permutationSize: 200 },
    },
  },
  schema: {
    dataset: rules.oneOf("ring8", "three_clusters", "grid25"),
    trainSize: rules.positiveInt(1_000_000),
    T: rules.int(2, 10_000),
    betaStart: rules.rate(),
    betaEnd: rules.rate(),
    timeEmbedDim: rules.positiveInt(1024),
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
    batchSize: rules.batchSize(),
    epochs: rules.epochs(),
    lr: rules.learningRate(),
    samplesPerLabel: rules.int(2, 100_000),
    variance: rules.oneOf("beta", "posterior"),
    quality: QUALITY_RULE,
  },
  checks: [
    betaOrder,
    batchFitsData,
    epochBudget,
  ],
  metrics: {
    ...QUALITY_METRICS,
    mmd2: { ...QUALITY_METRICS.mmd2, headline: false },
    "accuracy_label*": {
      description: "conditional accuracy for this label",
      better: "higher",
    },
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
    finalLoss: {
      description: "mean training loss over the last epoch",
      better: "lower",
    },
  },

  async run({ config: c, streams, progress, checkpoints }): Promise<RunOutput> {
    const dataset = DATASETS[c.dataset];
    const mixture = dataset.mixture!;
    const K = mixture.means.length;
    const data = dataset.sample(c.trainSize, streams.get("data"));
    const labels = data.labels!;
    const schedule = linearBetaSchedule(c.T, c.betaStart, c.betaEnd);
    const net = new Network(
      {
        ...ddpmNoisePredictor(c),
        features: [...ddpmNoisePredictor(c).features, { kind: "input", name: "label", dim: K }],
      },
      streams.get("init"),
    );
    try {
      const trained = await trainDdpm({
        net,
        schedule,
        x: data.x,
        dim: 2,
        batchSize: c.batchSize,
        epochs: c.epochs,
        lr: c.lr,
        streams,
        progress,
        checkpoints,
        features: (idx) => ({ label: oneHot(Array.from(idx, (i) => labels[i]), K) }),
      });
      const phase = progress.phase("sample", 1);
      const w = net.params.fused();
      const rows = tf.tidy(() => Array.from({ length: K }, (_, k) => tf.keep(oneHot([k], K))));
      const s = sampleByCondition(
        (k) => epsFromNetwork(net, w, c.T, { label: rows[k] }),
        K,
        c.samplesPerLabel,
        schedule,
        streams,
        {
          dim: 2,
          variance: c.variance,
        },
      );
      tf.dispose([w, ...rows]);
      phase.done();

      const metrics: Record<string, number> = {};
      const acc = s.byCondition.map((x, k) =>
        conditionalAccuracy(x, k, mixture.means, mixture.std)
      );
      acc.forEach((a, k) => (metrics[`accuracy_label${k}`] = a));
      metrics.accuracyMin = Math.min(...acc);
      metrics.accuracyMean = acc.reduce((a, b) => a + b, 0) / K;
      const judge = new QualityJudge(dataset, c.quality);
      const { quality, perMode } = judge.measure(s.x);
      Object.assign(metrics, quality, {
        finalLoss: blockMeans(trained.losses, trained.batchesPerEpoch).at(-1)!,
      });
      const panels = Array.from({ length: K }, (_, k) => `label ${k}`);
      return {
        metrics,
        details: { perMode, accuracy: acc },
        files: [{
          name: "samples.csv",
          content: toCsv(["x", "y", "label"], pointsAsRows(s.x, 2, (i) => [s.condition[i]])),
        }],
        probe: judge.probe(s.x),
        charts: [
          {
            name: "samples",
            title: "Samples per requested label",
            caption:
              `${c.samplesPerLabel} samples asked for each label, over the training data (grey).`,
            spec: scatterPanels({
              title: "Conditional samples by requested label",
              rows: s.byCondition.flatMap((x, k) => pointRows(x, { panel: panels[k], label: k })),
              panelOrder: panels,
              panelTitle: "requested label",
              modeColor: { field: "label", title: "requested label", modes: K },
              window: dataWindow(c.dataset),
              background: pointRows(data.x, {}, 800),
              columns: 4,
            }),
          },
          {
            name: "accuracy",
            title: "Conditional accuracy per label",
            caption:
              "Fraction of the samples asked for a label that land within 3 std of that label's mode.",
            spec: barChart({
              title: "Conditional accuracy per label",
              rows: acc.map((a, k) => ({ label: panels[k], accuracy: a, mode: k })),
              x: { field: "label", title: "requested label" },
              y: { field: "accuracy", title: "conditional accuracy" },
              modeColor: { field: "mode", modes: K },
            }),
          },
          {
            name: "loss",
            title: "Training loss",
            caption: "Mean ε-prediction MSE per epoch (log scale).",
            spec: lineChart({
              title: "Training loss",
              rows: blockMeans(trained.losses, trained.batchesPerEpoch).map((l, e) => ({
                epoch: e + 1,
                loss: l,
              })),
              x: { field: "epoch", title: "epoch" },
              y: { field: "loss", title: "MSE loss", log: true },
            }),
          },
        ],
      };
    } finally {
      net.dispose();
    }
  },
};
