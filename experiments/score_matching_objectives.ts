/**
 * `score-matching-objectives`: seed 000 exercise 1 and seed 002's objectives. The same ScoreNet2D
 * trained on the same data by exact score matching (Hyvarinen), sliced score matching and
 * denoising score matching, on ring8 (where the exact data score exists) and the swiss roll.
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { marginal, MixtureOracle, sampleMixture } from "../core/data/mixtures.ts";
import { exactScoreMatchingLoss } from "../core/objectives/score_matching.ts";
import {
  drawProjections,
  type Projection,
  slicedScoreMatchingLoss,
} from "../core/objectives/sliced_score_matching.ts";
import { dsmRegression } from "../core/objectives/dsm.ts";
import { scoreFunctionOf } from "../core/models.ts";
import { gridPoints } from "../core/metrics/fisher.ts";
import { dataWindow } from "../core/report/charts.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as scoreNet from "../core/recipes/score_net.ts";
import {
  type ObjectiveName,
  type ObjectivePart,
  objectivesPage,
} from "./score_matching_objectives.page.ts";

/** The data sets of the comparison. */
const DATA = ["ring8", "three_clusters", "swiss_roll", "moons", "ring"] as const;

/** The config of `score-matching-objectives`. */
export interface ObjectivesConfig {
  /** The data sets (trainSize points of each). */
  data: { datasets: (typeof DATA)[number][]; trainSize: number };
  objectives: {
    names: ObjectiveName[];
    /** Law of sliced score matching's projections. */
    projection: Projection;
    /** DSM's noise level: small, so that it targets nearly the data score. */
    dsmSigma: number;
  };
  model: scoreNet.ScoreNetConfig;
  /** Fisher divergences during training on data sets with an exact score. */
  train: scoreNet.ScoreTrainConfig;
  measure: { fisherPoints: number; grid: number };
}

const full: ObjectivesConfig = {
  data: { datasets: ["ring8", "swiss_roll"], trainSize: 5000 },
  objectives: { names: ["exact", "sliced", "dsm"], projection: "rademacher", dsmSigma: 0.1 },
  model: { hidden: [128, 128, 128] },
  train: { batchSize: 256, epochs: 200, lr: 1e-3, weightDecay: 0, fisherEvery: 10 },
  measure: { fisherPoints: 2000, grid: 17 },
};

const { schema, checks } = assemble<ObjectivesConfig>({
  data: {
    schema: {
      datasets: rules.list(rules.oneOf(...DATA), 1, 5),
      trainSize: rules.positiveInt(1_000_000),
    },
  },
  objectives: {
    schema: {
      names: rules.list(rules.oneOf("exact", "sliced", "dsm"), 1, 3),
      projection: rules.oneOf("rademacher", "gaussian"),
      dsmSigma: rules.positive(10),
    },
  },
  model: scoreNet.SCORE_NET,
  train: scoreNet.SCORE_TRAIN,
  measure: { schema: { fisherPoints: rules.int(1, 1_000_000), grid: rules.int(2, 100) } },
}, [trainingFitsData]);

/** The experiment `score-matching-objectives`. */
export const scoreMatchingObjectives: Experiment<ObjectivesConfig> = {
  name: "score-matching-objectives",
  title: "Exact, sliced and denoising score matching",
  description:
    "Seed 000 exercise 1 with seed 002's objectives: one ScoreNet2D architecture trained on the same " +
    "data by exact score matching (E[tr ∇s + ½|s|²], trace by one backward pass per dimension), sliced score " +
    "matching (Rademacher projections) and denoising score matching at a small σ; on ring8 the learned fields " +
    "are measured against the exact data score.",
  seed: 0,
  profiles: {
    full,
    // Quick trains ring8 alone (the data set with an exact score), long enough and at a higher rate
    // that the learned fields are far from zero (fisherRel 0.04-0.22, not ~0.97 as after 6 epochs): a
    // broken objective then moves the figures beyond the seed-to-seed spread.
    quick: derive(full, {
      data: { datasets: ["ring8"] },
      train: { epochs: 20, lr: 3e-3, fisherEvery: 5 },
      measure: { fisherPoints: 1000 },
    }),
  },
  schema,
  checks,
  metrics: {
    "fisher_*": {
      description:
        "Fisher divergence E|s_θ − ∇log p_data|² to the exact data score, on data drawn from p",
      better: "lower",
    },
    "fisherRel_*": {
      description: "the same divided by E|∇log p_data|²",
      better: "lower",
      headline: true,
    },
    "fisherNoised_*": {
      description:
        "DSM only: Fisher divergence to its own target, the score of p convolved with N(0, σ²I)",
      better: "lower",
    },
    "finalLoss_*": {
      description:
        "mean loss over the last epoch (objectives differ by constants: compare within one)",
    },
  },

  // One network per data set and objective, each its own job (with its own named streams).
  parts: (c) => c.data.datasets.flatMap((d) => c.objectives.names.map((o) => `${d}/${o}`)),

  async runPart(env, part): Promise<ObjectivePart> {
    const c = env.config, o = c.objectives;
    const [name, objective] = part.split("/") as [(typeof DATA)[number], ObjectiveName];
    const dataset = DATASETS[name];
    const data = dataset.sample(c.data.trainSize, env.streams.get(`data/${name}`));
    const oracle = dataset.mixture ? new MixtureOracle(dataset.mixture) : undefined;
    const exact = oracle && ((x: tf.Tensor2D) => oracle.score(x));
    const onData = dataset.mixture &&
      sampleMixture(dataset.mixture, c.measure.fisherPoints, env.streams.get(`fisher/${name}`)).x;
    const win = dataWindow(name);
    const grid = gridPoints(win[0], win[1], c.measure.grid);
    const sub = { ...env, streams: env.streams.child(`${name}/${objective}`) };
    const net = scoreNet.newScoreNet2d(sub, c.model);
    const draws = sub.streams.get("train");
    try {
      const trained = await scoreNet.trainScoreNet(sub, net, data.x, c.train, {
        label: `${name} ${objective}`,
        ...(objective === "dsm"
          ? { regression: (x0) => dsmRegression(x0, 2, o.dsmSigma, draws.normals(x0.length)) }
          : {
            loss: (w, x0) => {
              const s = scoreFunctionOf(net, w);
              if (objective === "exact") return exactScoreMatchingLoss(s, x0);
              const v = drawProjections(x0.shape[0], 2, o.projection, draws);
              return slicedScoreMatchingLoss(s, x0, tf.tensor2d(v, x0.shape));
            },
          }),
        fisher: exact && (() => scoreNet.netFisher(net, exact, onData!)),
      });
      const key = `${name}_${objective}`;
      const metrics: Record<string, number> = {
        [`finalLoss_${key}`]: trained.curve[trained.curve.length - 1],
      };
      if (exact) {
        const f = scoreNet.netFisher(net, exact, onData!);
        metrics[`fisher_${key}`] = f;
        metrics[`fisherRel_${key}`] = scoreNet.relativeFisher(f, exact, onData!);
        if (objective === "dsm") {
          const noised = marginal(dataset.mixture!, 1, o.dsmSigma);
          const pts = sampleMixture(noised, c.measure.fisherPoints, sub.streams.get("fisher")).x;
          metrics[`fisherNoised_${key}`] = scoreNet.netFisher(
            net,
            (x) => oracle!.score(x, 1, o.dsmSigma),
            pts,
          );
        }
      }
      const w = net.params.fused();
      const field = scoreNet.fieldOn((x) => net.apply(w, x), grid);
      tf.dispose(w);
      return { ...trained, metrics, field };
    } finally {
      net.dispose();
      oracle?.dispose();
    }
  },

  run({ config: c, streams, parts }) {
    const page = objectivesPage(c, streams, parts as Record<string, ObjectivePart>);
    return Promise.resolve({ files: [], ...page });
  },
};
