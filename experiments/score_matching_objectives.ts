/**
 * `score-matching-objectives`: seed 000 exercise 1 and seed 002's objectives. The same ScoreNet2D
 * trained on the same data by exact score matching (Hyvarinen), sliced score matching and
 * denoising score matching, on ring8 (where the exact data score exists) and the swiss roll.
 */
import * as tf from "@tensorflow/tfjs";
import type { Experiment, RunOutput } from "../core/harness/experiment.ts";
import { batchFitsData, epochBudget, MAX_TRAINING_STEPS, rules } from "../core/spec/rules.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { marginal, MixtureOracle, sampleMixture } from "../core/data/mixtures.ts";
import { Network } from "../core/nn/network.ts";
import { scoreNet2d } from "../core/nn/architectures.ts";
import { exactScoreMatchingLoss } from "../core/objectives/score_matching.ts";
import {
  drawProjections,
  type Projection,
  slicedScoreMatchingLoss,
} from "../core/objectives/sliced_score_matching.ts";
import { dsmLoss } from "../core/objectives/dsm.ts";
import { scoreFunctionOf } from "../core/models.ts";
import { stepsOf, trainOnData } from "../core/recipes/train.ts";
import { blockMeans } from "../core/metrics/statistics.ts";
import { fisherDivergence, gridPoints } from "../core/metrics/fisher.ts";
import {
  type Arrow,
  barChart,
  COLORS,
  dataWindow,
  lineChart,
  MODE_COLORS,
  pointRows,
  quiverPanels,
  type Row,
} from "../core/report/charts.ts";

/** A score-matching objective. */
export type ObjectiveName = "exact" | "sliced" | "dsm";

/** The config of `score-matching-objectives`. */
export interface ObjectivesConfig {
  datasets: ("ring8" | "three_clusters" | "swiss_roll" | "moons" | "ring")[];
  objectives: ObjectiveName[];
  /** Law of sliced score matching's projections. */
  projection: Projection;
  /** DSM's noise level: small, so that it targets nearly the data score. */
  dsmSigma: number;
  trainSize: number;
  hidden: number[];
  batchSize: number;
  epochs: number;
  lr: number;
  /** Epochs between Fisher-divergence measurements (data sets with an exact score). */
  fisherEvery: number;
  fisherPoints: number;
  grid: number;
}

const full: ObjectivesConfig = {
  datasets: ["ring8", "swiss_roll"],
  objectives: ["exact", "sliced", "dsm"],
  projection: "rademacher",
  dsmSigma: 0.1,
  trainSize: 5000,
  hidden: [128, 128, 128],
  batchSize: 256,
  epochs: 200,
  lr: 1e-3,
  fisherEvery: 10,
  fisherPoints: 2000,
  grid: 17,
};

/** What training one network by one objective gives the assembly. */
type ObjectivePart = {
  metrics: Record<string, number>;
  track: { epoch: number; fisher: string | number }[];
  curve: number[];
  /** The learned field on the quiver grid. */
  field: Float32Array;
  /** Wall milliseconds per training step (timing only). */
  msPerStep: number;
};

const TITLES: Record<ObjectiveName, string> = {
  exact: "exact SM",
  sliced: "sliced SM",
  dsm: "DSM",
};

export const scoreMatchingObjectives: Experiment<ObjectivesConfig> = {
  name: "score-matching-objectives",
  title: "Exact, sliced and denoising score matching",
  description:
    "Seed 000 exercise 1 with seed 002's objectives: one ScoreNet2D architecture trained on the same " +
    "data by exact score matching (E[tr ∇s + ½|s|²], trace by one backward pass per dimension), sliced score " +
    "matching (Rademacher projections) and denoising score matching at a small σ; on ring8 the learned fields " +
    "are measured against the exact data score.",
  seed: 0,
  profiles: { full, quick: { ...full, epochs: 6, fisherEvery: 3, fisherPoints: 1000 } },
  schema: {
    datasets: rules.list(
      rules.oneOf("ring8", "three_clusters", "swiss_roll", "moons", "ring"),
      1,
      5,
    ),
    objectives: rules.list(rules.oneOf("exact", "sliced", "dsm"), 1, 3),
    projection: rules.oneOf("rademacher", "gaussian"),
    dsmSigma: rules.positive(10),
    trainSize: rules.positiveInt(1_000_000),
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
    batchSize: rules.batchSize(),
    epochs: rules.epochs(),
    lr: rules.learningRate(),
    fisherEvery: rules.positiveInt(MAX_TRAINING_STEPS),
    fisherPoints: rules.int(1, 1_000_000),
    grid: rules.int(2, 100),
  },
  checks: [
    batchFitsData,
    epochBudget,
  ],
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
  parts: (c) => c.datasets.flatMap((d) => c.objectives.map((o) => `${d}/${o}`)),

  async runPart({ config: c, streams, progress, checkpoints }, part): Promise<ObjectivePart> {
    const [name, objective] = part.split("/") as [
      ObjectivesConfig["datasets"][number],
      ObjectiveName,
    ];
    const batchesPerEpoch = stepsOf(
      { kind: "epochs", batchSize: c.batchSize, epochs: 1 },
      c.trainSize,
    );
    const dataset = DATASETS[name];
    const data = dataset.sample(c.trainSize, streams.get(`data/${name}`));
    const oracle = dataset.mixture ? new MixtureOracle(dataset.mixture) : undefined;
    const exact = oracle && ((x: tf.Tensor2D) => oracle.score(x));
    const onData = dataset.mixture &&
      sampleMixture(dataset.mixture, c.fisherPoints, streams.get(`fisher/${name}`)).x;
    const win = dataWindow(name);
    const grid = gridPoints(win[0], win[1], c.grid);
    const sub = streams.child(`${name}/${objective}`);
    const net = new Network(scoreNet2d(c.hidden), sub.get("init"));
    const draws = sub.get("train");
    const fisherOf = (target: (x: tf.Tensor2D) => tf.Tensor2D, pts: Float32Array) => {
      const w = net.params.fused();
      const f = fisherDivergence((x) => net.apply(w, x), target, pts, 2);
      tf.dispose(w);
      return f;
    };
    try {
      const start = performance.now();
      const { losses, track } = await trainOnData({
        net,
        x: data.x,
        dim: 2,
        batching: { kind: "epochs", batchSize: c.batchSize, epochs: c.epochs },
        optimizer: { lr: c.lr },
        streams: sub,
        progress,
        checkpoints,
        label: `${name} ${objective}`,
        // Exact and sliced score matching differentiate the network inside the loss
        // (forward mode, then autodiff of that).
        gradient: objective === "dsm" ? "fused" : "autodiff",
        loss: (w, x0) => {
          const s = scoreFunctionOf(net, w);
          const shape = x0.shape;
          if (objective === "exact") return exactScoreMatchingLoss(s, x0);
          if (objective === "sliced") {
            return slicedScoreMatchingLoss(
              s,
              x0,
              tf.tensor2d(drawProjections(shape[0], 2, c.projection, draws), shape),
            );
          }
          return dsmLoss(s, x0, c.dsmSigma, tf.tensor2d(draws.normals(shape[0] * 2), shape));
        },
        every: exact ? c.fisherEvery * batchesPerEpoch : undefined,
        track: exact ? () => ({ fisher: fisherOf(exact, onData!) }) : undefined,
      });
      const msPerStep = (performance.now() - start) / losses.length;
      const curve = blockMeans(losses, batchesPerEpoch);
      const metrics: Record<string, number> = {
        [`finalLoss_${name}_${objective}`]: curve[curve.length - 1],
      };
      if (exact) {
        const f = fisherOf(exact, onData!);
        metrics[`fisher_${name}_${objective}`] = f;
        metrics[`fisherRel_${name}_${objective}`] = f /
          fisherDivergence(tf.zerosLike, exact, onData!, 2);
        if (objective === "dsm") {
          const noisedTarget = (x: tf.Tensor2D) => oracle!.score(x, 1, c.dsmSigma);
          const pts = sampleMixture(
            marginal(dataset.mixture!, 1, c.dsmSigma),
            c.fisherPoints,
            sub.get("fisher"),
          ).x;
          metrics[`fisherNoised_${name}_${objective}`] = fisherOf(noisedTarget, pts);
        }
      }
      const field = tf.tidy(() => {
        const w = net.params.fused();
        return net.apply(w, tf.tensor2d(grid, [grid.length / 2, 2])).dataSync() as Float32Array;
      });
      return {
        metrics,
        track: track.map((r) => ({
          epoch: (r.step as number) / batchesPerEpoch,
          fisher: r.fisher,
        })),
        curve,
        field,
        msPerStep,
      };
    } finally {
      net.dispose();
      oracle?.dispose();
    }
  },

  run({ config: c, streams, parts }): Promise<RunOutput> {
    const metrics: Record<string, number> = {};
    const lossRows: Row[] = [];
    const fisherRows: Row[] = [];
    const timeRows: Row[] = [];
    const charts: RunOutput["charts"] = [];
    for (const name of c.datasets) {
      const dataset = DATASETS[name];
      const data = dataset.sample(c.trainSize, streams.get(`data/${name}`));
      const win = dataWindow(name);
      const grid = gridPoints(win[0], win[1], c.grid);
      const fields: { panel: string; field: ArrayLike<number> }[] = [];
      for (const objective of c.objectives) {
        const part = parts![`${name}/${objective}`] as ObjectivePart;
        Object.assign(metrics, part.metrics);
        for (const r of part.track) fisherRows.push({ ...r, objective: TITLES[objective] });
        timeRows.push({ objective: TITLES[objective], dataset: name, msPerStep: part.msPerStep });
        part.curve.forEach((l, e) =>
          lossRows.push({ epoch: e + 1, loss: l, objective: TITLES[objective], dataset: name })
        );
        fields.push({ panel: TITLES[objective], field: part.field });
      }
      const exact = dataset.mixture !== undefined;
      if (dataset.mixture) {
        const oracle = new MixtureOracle(dataset.mixture);
        fields.push({
          panel: "exact ∇log p",
          field: tf.tidy(() => oracle.score(tf.tensor2d(grid, [grid.length / 2, 2])).dataSync()),
        });
        oracle.dispose();
      }
      const arrows: Arrow[] = fields.flatMap(({ panel, field }) =>
        Array.from({ length: grid.length / 2 }, (_, i) => ({
          x: grid[2 * i],
          y: grid[2 * i + 1],
          u: field[2 * i],
          v: field[2 * i + 1],
          panel,
        }))
      );
      const ref = fields[fields.length - 1].field;
      const mags = Array.from(
        { length: ref.length / 2 },
        (_, i) => Math.hypot(ref[2 * i], ref[2 * i + 1]),
      ).sort((a, b) => a - b);
      const panels = fields.map((f) => f.panel);
      charts.push({
        name: `fields_${name}`,
        thumbnail: name === c.datasets[0],
        title: `Learned score fields on ${name}`,
        caption:
          `The field each objective learned on ${name}${
            exact ? ", and the exact data score (blue)" : ""
          }, on one ` +
          "arrow scale (90th-percentile magnitude = one grid cell, longer arrows capped). Grey: training data.",
        spec: quiverPanels({
          title: `Score fields learned on ${name}`,
          arrows,
          panelOrder: panels,
          window: win,
          spacing: (win[1] - win[0]) / c.grid,
          unit: mags[Math.floor(0.9 * (mags.length - 1))] || 1,
          colorOf: (p) => (p.startsWith("exact") ? COLORS.oracle : MODE_COLORS[panels.indexOf(p)]),
          background: pointRows(data.x, {}, 1000),
          columns: Math.min(panels.length, 4),
          size: 200,
        }),
      });
      charts.push({
        name: `loss_${name}`,
        title: `Loss curves on ${name}`,
        caption:
          "Mean loss per epoch. Exact and sliced score matching estimate the same quantity (up to a " +
          "constant, ½E|s − ∇log p|² − ½E|∇log p|²) and may go negative; DSM's loss is offset by its target's variance.",
        spec: lineChart({
          title: `Training loss on ${name}`,
          rows: lossRows.filter((r) => r.dataset === name),
          x: { field: "epoch", title: "epoch" },
          y: { field: "loss", title: "loss" },
          color: { field: "objective", title: "objective" },
        }),
      });
    }
    if (fisherRows.length) {
      charts.unshift({
        name: "fisher",
        title: "Fisher divergence during training (ring8)",
        caption: "E|s_θ − ∇log p_data|² on data drawn from the mixture, as training proceeds.",
        spec: lineChart({
          title: "Fisher divergence to the exact data score",
          rows: fisherRows,
          x: { field: "epoch", title: "epoch" },
          y: { field: "fisher", title: "Fisher divergence", log: true },
          color: { field: "objective", title: "objective" },
          points: true,
        }),
      });
    }
    charts.push({
      name: "time",
      timing: true,
      title: "Wall time per training step",
      caption:
        "Exact score matching needs one extra backward pass per dimension (and a second-order gradient); " +
        "sliced SM one; DSM none. Measured on this run (not golden-checked).",
      spec: barChart({
        title: "Milliseconds per training step",
        rows: timeRows,
        x: { field: "objective", title: "objective" },
        y: { field: "msPerStep", title: "ms per step" },
        color: { field: "dataset", title: "data set" },
      }),
    });
    return Promise.resolve({
      metrics,
      details: { fisherDuringTraining: fisherRows },
      timings: { timePerStep: timeRows },
      files: [],
      charts,
    });
  },
};
