/**
 * `score-fields`: seed 004, sections 16.2 and 16.4. ScoreNet2D networks trained by single-noise
 * denoising score matching on ring8 at sigma = 5.0 (16.2) and at the sigmas of t = 2, 80, 199 of the
 * 200-step schedule (16.4), each measured against the exact score of the noised mixture.
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment } from "../core/harness/experiment.ts";
import { rules, unless } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { dsmRegression } from "../core/objectives/dsm.ts";
import { gridPoints } from "../core/metrics/fisher.ts";
import { dataWindow } from "../core/report/charts.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as scoreNet from "../core/recipes/score_net.ts";
import { noisedLaw } from "../core/recipes/noised_law.ts";
import { type ScoreFieldPart, scoreFieldsPage, sigmaLabel } from "./score_fields.page.ts";

/** The config of `score-fields`. */
export interface ScoreFieldsConfig {
  data: DataConfig<"ring8" | "three_clusters" | "grid25" | "ring" | "swiss_roll">;
  /** The noise levels, one network each. */
  sigmas: number[];
  model: scoreNet.ScoreNetConfig;
  /** AdamW's decoupled weight decay: the seed uses torch's AdamW default, 0.01. */
  train: scoreNet.ScoreTrainConfig;
  /** Points of the noised law for the Fisher divergence; arrows per side of the quiver grid. */
  measure: { fisherPoints: number; grid: number };
}

const full: ScoreFieldsConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  // 5.0 (section 16.2) and sqrt(1 - alphaBar_t) for t = 2, 80, 199 as the seed prints them.
  sigmas: [5.0, 0.024492062628269196, 0.5321973562240601, 0.9315670728683472],
  model: { hidden: [128, 128, 128] },
  train: { batchSize: 256, epochs: 1000, lr: 1e-3, weightDecay: 0.01, fisherEvery: 50 },
  measure: { fisherPoints: 2000, grid: 21 },
};

const { schema, checks } = assemble<ScoreFieldsConfig>({
  data: dataSection(["ring8", "three_clusters", "grid25", "ring", "swiss_roll"] as const),
  sigmas: rules.list(rules.positive(100), 1, 8),
  model: scoreNet.SCORE_NET,
  train: scoreNet.SCORE_TRAIN,
  measure: { schema: { fisherPoints: rules.int(1, 1_000_000), grid: rules.int(2, 100) } },
}, [
  trainingFitsData,
  (c) =>
    unless(
      new Set(c.sigmas.map(sigmaLabel)).size === c.sigmas.length,
      "sigmas",
      c.sigmas,
      "distinct levels",
    ),
]);

/** The experiment `score-fields`. */
export const scoreFields: Experiment<ScoreFieldsConfig> = {
  name: "score-fields",
  title: "Score fields learned at one noise level",
  description:
    "Seed 004, sections 16.2 and 16.4: one ScoreNet2D (2-128-128-128-2, Softplus) per noise level, " +
    "trained by denoising score matching on ring8 (1000 epochs, batch 256, AdamW 1e-3), next to the exact " +
    "score of the mixture convolved with N(0, σ²I). The Fisher divergence E|s_θ − ∇log p_σ|² is measured " +
    "on samples of the noised law during and after training, and on a grid.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, { train: { epochs: 8, fisherEvery: 2 }, measure: { fisherPoints: 1000 } }),
  },
  schema,
  checks,
  metrics: {
    "fisher_s*": {
      description: "Fisher divergence E|s_θ − ∇log p_σ|² on samples of the noised law",
      better: "lower",
    },
    "fisherRel_s*": {
      description: "the same, divided by E|∇log p_σ|² (0 = exact, 1 = as bad as predicting 0)",
      better: "lower",
      headline: true,
    },
    "fisherGrid_s*": {
      description: "Fisher divergence averaged over the quiver grid (far from the data too)",
      better: "lower",
    },
    "finalLoss_s*": { description: "mean DSM loss over the last epoch", better: "lower" },
  },

  // One network per noise level, each its own job (its streams are the level's own).
  parts: (c) => c.sigmas.map(sigmaLabel),

  async runPart(env, part): Promise<ScoreFieldPart> {
    const c = env.config;
    const sigma = c.sigmas.find((s) => sigmaLabel(s) === part)!;
    const data = loadData(c.data, env.streams);
    const law = noisedLaw(data.dataset, sigma);
    const win = dataWindow(c.data.dataset);
    const grid = gridPoints(win[0], win[1], c.measure.grid);
    const sub = { ...env, streams: env.streams.child(`sigma=${part}`) };
    const net = scoreNet.newScoreNet2d(sub, c.model);
    const noise = sub.streams.get("train");
    const exact = (x: tf.Tensor2D) => law.score(x);
    const noised = law.sample(c.measure.fisherPoints, sub.streams.get("fisher"));
    try {
      const trained = await scoreNet.trainScoreNet(sub, net, data.x, c.train, {
        label: `σ=${part}`,
        regression: (x0) => dsmRegression(x0, 2, sigma, noise.normals(x0.length)),
        fisher: () => scoreNet.netFisher(net, exact, noised),
      });
      const fisher = scoreNet.netFisher(net, exact, noised);
      const w = net.params.fused();
      const learned = scoreNet.fieldOn((x) => net.apply(w, x), grid);
      tf.dispose(w);
      return {
        ...trained,
        metrics: {
          [`fisher_s${part}`]: fisher,
          [`fisherRel_s${part}`]: scoreNet.relativeFisher(fisher, exact, noised),
          [`fisherGrid_s${part}`]: scoreNet.netFisher(net, exact, grid),
          [`finalLoss_s${part}`]: trained.curve[trained.curve.length - 1],
        },
        learned,
        truth: scoreNet.fieldOn(exact, grid),
      };
    } finally {
      net.dispose();
      law.dispose();
    }
  },

  run({ config: c, streams, parts }) {
    const data = loadData(c.data, streams);
    const byLevel = c.sigmas.map((sigma) => parts![sigmaLabel(sigma)] as ScoreFieldPart);
    const metrics: Record<string, number> = Object.assign({}, ...byLevel.map((p) => p.metrics));
    return Promise.resolve({ metrics, files: [], ...scoreFieldsPage(c, data.x, byLevel) });
  },
};

const rollFull: ScoreFieldsConfig = derive(full, {
  data: { dataset: "swiss_roll" },
  sigmas: [0.05, 0.2, 0.5, 1],
  train: { epochs: 300, fisherEvery: 25 },
});

/** The experiment `swiss-roll-fields`: `score-fields` on the swiss roll, at four noise levels. */
export const swissRollFields: Experiment<ScoreFieldsConfig> = {
  ...scoreFields,
  name: "swiss-roll-fields",
  title: "Score fields on the swiss roll at several noise levels",
  description:
    "Seed 000's exercise 1: a ScoreNet2D (2-128-128-128-2, Softplus) trained by denoising score matching " +
    "on the swiss roll at each of four noise levels (300 epochs, batch 256, AdamW 1e-3), its field beside " +
    "the exact score of the noised roll (a quadrature along the roll, core/data/swiss_roll.ts); the Fisher " +
    "divergence on samples of the noised law during and after training, and on a grid.",
  profiles: {
    full: rollFull,
    quick: derive(rollFull, {
      train: { epochs: 8, fisherEvery: 2 },
      measure: { fisherPoints: 1000 },
    }),
  },
};
