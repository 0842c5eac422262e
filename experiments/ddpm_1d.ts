/**
 * `ddpm-1d`: seed 000 exercise 2. A DDPM on a 1-D two-component mixture; the learned epsilon network
 * turned into a score, s_theta = -eps_theta / sqrt(1 - alphaBar_t), against the exact score of the
 * noised mixture at several t (noise prediction and score estimation are one thing), and the
 * samples' histogram over the true density.
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment, RunOutput } from "../core/harness/experiment.ts";
import { batchFitsData, betaOrder, epochBudget, rules, unless } from "../core/spec/rules.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { marginal, mixtureLogDensity, MixtureOracle } from "../core/data/mixtures.ts";
import { Network } from "../core/nn/network.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { epsFromNetwork } from "../core/models.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { forwardProcessError, trainDdpm } from "../core/recipes/ddpm.ts";
import { blockMeans } from "../core/recipes/train.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { DEFAULT_QUALITY, QualityJudge, type QualityOptions } from "../core/metrics/quality.ts";
import { QUALITY_METRICS, QUALITY_RULE } from "../core/recipes/quality.ts";
import { COLORS, histogramWithDensity, lineChart, type Row } from "../core/report/charts.ts";
import { samplesCsv } from "../core/report/csv.ts";

/** The config of `ddpm-1d`. */
export interface Ddpm1dConfig {
  trainSize: number;
  T: number;
  betaStart: number;
  betaEnd: number;
  timeEmbedDim: number;
  hidden: number[];
  batchSize: number;
  epochs: number;
  lr: number;
  samples: number;
  /** Time indices at which the learned score is compared with the exact one. */
  scoreSteps: number[];
  /** Where the score error is measured: x with p_t(x) at least this density. */
  densityFloor: number;
  quality: QualityOptions;
}

const full: Ddpm1dConfig = {
  trainSize: 5000,
  T: 200,
  betaStart: 1e-4,
  betaEnd: 0.02,
  timeEmbedDim: 16,
  hidden: [128, 128],
  batchSize: 256,
  epochs: 300,
  lr: 1e-3,
  samples: 5000,
  scoreSteps: [0, 25, 50, 100, 199],
  densityFloor: 0.01,
  quality: DEFAULT_QUALITY,
};

const WINDOW: [number, number] = [-5, 5];

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
    quick: {
      ...full,
      epochs: 30,
      samples: 2000,
      quality: { ...DEFAULT_QUALITY, referenceSize: 2000 },
    },
  },
  schema: {
    trainSize: rules.positiveInt(1_000_000),
    T: rules.int(2, 10_000),
    betaStart: rules.rate(),
    betaEnd: rules.rate(),
    timeEmbedDim: rules.positiveInt(1024),
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
    batchSize: rules.batchSize(),
    epochs: rules.epochs(),
    lr: rules.learningRate(),
    samples: rules.int(2, 1_000_000),
    scoreSteps: rules.list(rules.int(0), 1, 10),
    densityFloor: rules.positive(1),
    quality: QUALITY_RULE,
  },
  checks: [
    betaOrder,
    (c) =>
      unless(
        c.scoreSteps.every((t) => t < c.T),
        "scoreSteps",
        c.scoreSteps,
        `time indices in [0, ${c.T - 1}]`,
      ),
    batchFitsData,
    epochBudget,
  ],
  metrics: {
    ...QUALITY_METRICS,
    forwardError: {
      description: "max |x_t − (√ᾱ_t x_0 + √(1−ᾱ_t) ε)| of the training forward process at the " +
        "score steps, against the closed form in float64 (float32 rounding only; reported: a rounding " +
        "error has no seed spread and no stable band)",
    },
    "scoreMaxError_t*": {
      description: "max |s_θ − ∇log p_t| over x in [−5, 5] where p_t(x) ≥ the density floor",
      better: "lower",
    },
    "scoreRelError_t*": {
      description: "the same max error divided by the max |∇log p_t| on that set",
      better: "lower",
      headline: true,
    },
    finalLoss: {
      description: "mean training loss over the last epoch",
      better: "lower",
    },
  },

  async run({ config: c, streams, progress, checkpoints }): Promise<RunOutput> {
    const dataset = DATASETS.mixture1d;
    const mixture = dataset.mixture!;
    const data = dataset.sample(c.trainSize, streams.get("data"));
    const schedule = linearBetaSchedule(c.T, c.betaStart, c.betaEnd);
    const net = new Network(ddpmNoisePredictor(c, 1), streams.get("init"));
    const oracle = new MixtureOracle(mixture);
    try {
      const trained = await trainDdpm({
        net,
        schedule,
        x: data.x,
        dim: 1,
        batchSize: c.batchSize,
        epochs: c.epochs,
        lr: c.lr,
        streams,
        progress,
        checkpoints,
      });
      const w = net.params.fused();
      const eps = epsFromNetwork(net, w, c.T);
      const grid = Float32Array.from(
        { length: 401 },
        (_, i) => WINDOW[0] + (i * (WINDOW[1] - WINDOW[0])) / 400,
      );
      const rows: Row[] = [];
      const metrics: Record<string, number> = {
        forwardError: forwardProcessError(
          schedule,
          data.x,
          1,
          c.scoreSteps,
          streams.get("forward check"),
        ),
      };
      for (const t of c.scoreSteps) {
        const a = Math.sqrt(schedule.alphaBar[t]), s = Math.sqrt(1 - schedule.alphaBar[t]);
        const [learned, exact] = tf.tidy(() => {
          const x = tf.tensor2d(grid, [grid.length, 1]);
          return [tf.div(eps(x, t), -s).dataSync(), oracle.score(x, a, s).dataSync()];
        });
        const p = mixtureLogDensity(marginal(mixture, a, s), grid).map(Math.exp);
        let maxErr = 0, maxScore = 0;
        grid.forEach((x, i) => {
          rows.push({ x, score: learned[i], which: "learned −ε_θ/√(1−ᾱ)", panel: `t = ${t}` });
          rows.push({ x, score: exact[i], which: "exact ∇log p_t", panel: `t = ${t}` });
          if (p[i] >= c.densityFloor) {
            maxErr = Math.max(maxErr, Math.abs(learned[i] - exact[i]));
            maxScore = Math.max(maxScore, Math.abs(exact[i]));
          }
        });
        metrics[`scoreMaxError_t${t}`] = maxErr;
        metrics[`scoreRelError_t${t}`] = maxErr / maxScore;
      }
      const phase = progress.phase("sample", 1);
      const result = ddpmSample(eps, schedule, streams.perSample("sample", 0, c.samples), {
        dim: 1,
      });
      tf.dispose(w);
      phase.done();
      const judge = new QualityJudge(dataset, c.quality);
      const { quality, perMode } = judge.measure(result.x);
      Object.assign(metrics, quality, {
        finalLoss: blockMeans(trained.losses, trained.batchesPerEpoch).at(-1)!,
      });
      const density = Array.from(
        grid,
        (x) => ({ x, p: Math.exp(mixtureLogDensity(mixture, [x])[0]) }),
      );
      return {
        metrics,
        details: { perMode },
        files: [{ name: "samples.csv", content: samplesCsv(result.x, 1) }],
        probe: judge.probe(result.x),
        charts: [
          {
            name: "scores",
            thumbnail: true,
            title: "Learned and exact score",
            caption:
              "The ε-network as a score, −ε_θ(x, t)/√(1 − ᾱ_t) (red), and the exact score of the noised " +
              "mixture (blue), at each t. At small t the score is steep and the division by √(1 − ᾱ_t) amplifies " +
              "the network's error; far from the data it is learned from few noised points.",
            spec: lineChart({
              title: "Score of the noised law: learned vs exact",
              rows,
              x: { field: "x", title: "x" },
              y: { field: "score", title: "score" },
              color: {
                field: "which",
                title: "",
                scale: { "learned −ε_θ/√(1−ᾱ)": COLORS.samples, "exact ∇log p_t": COLORS.oracle },
              },
              width: 200,
              height: 180,
              facet: {
                field: "panel",
                order: c.scoreSteps.map((t) => `t = ${t}`),
                independentY: true,
              },
            }),
          },
          {
            name: "histogram",
            title: "Samples over the true density",
            caption:
              `Histogram of ${c.samples} ancestral samples (density-normalised) and the true density.`,
            spec: histogramWithDensity({
              title: "DDPM samples over the true density",
              samples: result.x,
              density,
              domain: WINDOW,
              bins: 80,
            }),
          },
        ],
      };
    } finally {
      net.dispose();
      oracle.dispose();
    }
  },
};
