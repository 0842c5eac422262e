/**
 * The score-network recipe (seed 004's ScoreNet2D, seeds 000 and 002's objectives): an
 * unconditional network s_theta(x) trained on data by a score-matching objective, its Fisher
 * divergence to an exact score tracked during training, and its field on a grid. One unit of work
 * per network, so that experiments run them as parts.
 */
import * as tf from "@tensorflow/tfjs";
import { Network } from "../nn/network.ts";
import { scoreNet2d } from "../nn/architectures.ts";
import type { Weights } from "../nn/weights.ts";
import type { GradientMode } from "../nn/train.ts";
import type { RegressionBatch } from "../nn/regression.ts";
import { fisherDivergence } from "../metrics/fisher.ts";
import { blockMeans } from "../metrics/statistics.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { epochBatching, EPOCHS, type EpochsConfig, stepsOf, trainOnData } from "./train.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** The model section of an MLP score network: its hidden layers. */
export interface ScoreNetConfig {
  hidden: number[];
}

/** The rules of {@link ScoreNetConfig}. */
export const SCORE_NET: Section<ScoreNetConfig> = {
  schema: { hidden: rules.list(rules.positiveInt(4096), 1, 8) },
};

/** The train section of a score network: epochs of Adam (AdamW when `weightDecay` > 0). */
export interface ScoreTrainConfig extends EpochsConfig {
  /** AdamW's decoupled weight decay (0: Adam). */
  weightDecay: number;
  /** Epochs between Fisher-divergence measurements during training. */
  fisherEvery: number;
}

/** The rules of {@link ScoreTrainConfig}. */
export const SCORE_TRAIN: Section<ScoreTrainConfig> = {
  schema: {
    ...EPOCHS.schema,
    weightDecay: rules.number(0, 1),
    fisherEvery: rules.positiveInt(1_000_000),
  },
};

/** A score s(x) as a function of tensors. */
export type Field = (x: tf.Tensor2D) => tf.Tensor2D;

/** E|s_theta(x) - target(x)|^2 over the points (flat, 2 per row), with the network's current weights. */
export function netFisher(net: Network, target: Field, points: Float32Array): number {
  const w = net.params.fused();
  const f = fisherDivergence((x) => net.apply(w, x), target, points, 2);
  tf.dispose(w);
  return f;
}

/** The Fisher divergence relative to E|target|^2 (0 = exact, 1 = as bad as predicting 0). */
export function relativeFisher(fisher: number, target: Field, points: Float32Array): number {
  return fisher / fisherDivergence(tf.zerosLike, target, points, 2);
}

/** A field evaluated on grid points (flat, 2 per row). */
export function fieldOn(field: Field, grid: Float32Array): Float32Array {
  return tidyValues(() => field(tf.tensor2d(grid, [grid.length / 2, 2])));
}

/** A trained score network and its record. */
export type TrainedScoreNet = {
  /** Mean loss per epoch. */
  curve: number[];
  /** `tracked` values measured every `fisherEvery` epochs, with their epoch. */
  track: { epoch: number; fisher: string | number }[];
  /** Wall milliseconds per step (timing only). */
  msPerStep: number;
};

/**
 * Train `net` on `x` by `loss` (given the weights and the minibatch) or `regression` (given the
 * minibatch) for the train section, with
 * `fisher()` measured every `fisherEvery` epochs (when given).
 */
export async function trainScoreNet(
  env: RunEnv,
  net: Network,
  x: Float32Array,
  c: ScoreTrainConfig,
  o: {
    label: string;
    /** A loss of the weights, or (one of the two) a regression of the output (no tape). */
    loss?: (w: Weights, x0: tf.Tensor2D) => tf.Scalar;
    regression?: (x0: Float32Array) => RegressionBatch;
    gradient?: GradientMode;
    fisher?: () => number;
  },
): Promise<TrainedScoreNet> {
  const perEpoch = stepsOf({ kind: "epochs", batchSize: c.batchSize, epochs: 1 }, x.length / 2);
  const start = performance.now();
  const { losses, track } = await trainOnData({
    net,
    x,
    dim: 2,
    batching: epochBatching(c),
    optimizer: { lr: c.lr, weightDecay: c.weightDecay },
    ...env,
    label: o.label,
    gradient: o.gradient,
    loss: o.loss,
    regression: o.regression,
    every: o.fisher ? c.fisherEvery * perEpoch : undefined,
    track: o.fisher ? () => ({ fisher: o.fisher!() }) : undefined,
  });
  return {
    curve: blockMeans(losses, perEpoch),
    track: track.map((r) => ({ epoch: (r.step as number) / perEpoch, fisher: r.fisher })),
    msPerStep: (performance.now() - start) / losses.length,
  };
}

/** Seed 004's ScoreNet2D with the given hidden layers, initialised from the env's `init` stream. */
export function newScoreNet2d(env: RunEnv, c: ScoreNetConfig): Network {
  return new Network(scoreNet2d(c.hidden), env.streams.get("init"));
}
