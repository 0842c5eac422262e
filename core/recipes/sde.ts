/**
 * The score-SDE recipe (seed 000 exercise 3, Song et al. 2021): the SDE, model and train sections,
 * and training a time-conditional epsilon network for an SDE by continuous-time DSM.
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import type { Sde } from "../noise/sde.ts";
import { continuousDsmRegression, drawTimes } from "../objectives/continuous_dsm.ts";
import type { Streams } from "../runtime/random.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Batching, type Trained, trainOnData } from "./train.ts";
import type { AdamOptions } from "../nn/adam.ts";
import { Network as Net } from "../nn/network.ts";
import { timeConditionalMlp } from "../nn/architectures.ts";
import { type Sde as SdeType, vpSde } from "../noise/sde.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules, unless } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { blockMeans } from "../metrics/statistics.ts";
import type { Dataset } from "../data/dataset.ts";
import { type ScoreFn, scoreFromEpsNetworkAtTime, scoreFromMixtureAtTime } from "../models.ts";
import { type GaussianMixture, MixtureOracle } from "../data/mixtures.ts";
import { nll } from "../likelihood.ts";
import { testInTraining } from "../metrics/held_out.ts";
import { epochBatching, EPOCHS, type EpochsConfig } from "./train.ts";

/** The VP SDE section: beta(t) linear from betaMin to betaMax over t in [0, 1]. */
export interface VpSdeConfig {
  betaMin: number;
  betaMax: number;
}

/** The rules of {@link VpSdeConfig}. */
export const VP_SDE: Section<VpSdeConfig> = {
  schema: { betaMin: rules.positive(100), betaMax: rules.positive(1000) },
  checks: [
    (c) => unless(c.betaMin < c.betaMax, "betaMin", c.betaMin, `a number < betaMax (${c.betaMax})`),
  ],
};

/** The model section of a time-conditional MLP (sinusoidal features of t, SiLU). */
export interface TimeNetConfig {
  hidden: number[];
  frequencies: number;
  maxFrequency: number;
}

/** The rules of {@link TimeNetConfig}. */
export const TIME_NET: Section<TimeNetConfig> = {
  schema: {
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
    frequencies: rules.positiveInt(256),
    maxFrequency: rules.positive(1e5),
  },
};

/** The train section of continuous-time DSM. */
export interface SdeTrainConfig extends EpochsConfig {
  /** Smallest training time. */
  tMin: number;
  /**
   * Sample with an exponential moving average of the weights at this rate (score_sde's practice; 0 =
   * the last iterate). Measured here: MMD² of reverse-SDE samples 0.0175 -> 0.0023 at 400 epochs.
   */
  ema: number;
}

/** The rules of {@link SdeTrainConfig}. */
export const SDE_TRAIN: Section<SdeTrainConfig> = {
  schema: { ...EPOCHS.schema, tMin: rules.positive(0.5), ema: rules.emaRate() },
};

/** A trained time-conditional epsilon network of an SDE. */
export interface SdeNet {
  net: Network;
  sde: SdeType;
  lossByEpoch: number[];
  finalLoss: number;
  /** The EMA check of its training (`Trained.emaFirstUpdateOff`): 0 when averaged right, NaN without. */
  emaFirstUpdateOff: number;
  dispose(): void;
}

/**
 * A time-conditional MLP initialised from the `init` stream and trained by continuous-time DSM on
 * the VP SDE of `c.sde`; with `train.ema` > 0 it ends holding the EMA of its weights.
 */
export async function trainSdeNet(
  env: RunEnv,
  x: Float32Array,
  c: { sde: VpSdeConfig; model: TimeNetConfig; train: SdeTrainConfig },
): Promise<SdeNet> {
  const sde = vpSde(c.sde.betaMin, c.sde.betaMax);
  const net = new Net(timeConditionalMlp(c.model), env.streams.get("init"));
  try {
    const trained = await trainSde({
      net,
      sde,
      x,
      dim: 2,
      batching: epochBatching(c.train),
      optimizer: { lr: c.train.lr },
      tMin: c.train.tMin,
      ema: c.train.ema > 0 ? c.train.ema : undefined,
      ...env,
    });
    if (trained.ema) {
      net.params.write(trained.ema.read());
      trained.ema.dispose();
    }
    const lossByEpoch = blockMeans(trained.losses, trained.batchesPerEpoch);
    return {
      net,
      sde,
      lossByEpoch,
      finalLoss: lossByEpoch[lossByEpoch.length - 1],
      emaFirstUpdateOff: trained.emaFirstUpdateOff,
      dispose: () => net.dispose(),
    };
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** A trained SDE network as plain data: what a training part hands to the parts that sample. */
export interface SavedSdeNet {
  weights: Float32Array;
  lossByEpoch: number[];
  finalLoss: number;
  emaFirstUpdateOff: number;
}

/** {@link SdeNet} as plain data (`read()` copies its weights). */
export function saveSdeNet(m: SdeNet): SavedSdeNet {
  return {
    weights: m.net.params.read(),
    lossByEpoch: m.lossByEpoch,
    finalLoss: m.finalLoss,
    emaFirstUpdateOff: m.emaFirstUpdateOff,
  };
}

/** The network `saved` holds, for the config it was trained with: the same bits as the trained one. */
export function loadSdeNet(
  c: { sde: VpSdeConfig; model: TimeNetConfig },
  saved: SavedSdeNet,
): SdeNet {
  const net = new Net(timeConditionalMlp(c.model), saved.weights);
  return {
    net,
    sde: vpSde(c.sde.betaMin, c.sde.betaMax),
    lossByEpoch: saved.lossByEpoch,
    finalLoss: saved.finalLoss,
    emaFirstUpdateOff: saved.emaFirstUpdateOff,
    dispose: () => net.dispose(),
  };
}

/** {@link trainSdeNet}, kept as plain data only (the training part of a run). */
export async function trainSavedSdeNet(
  env: RunEnv,
  x: Float32Array,
  c: { sde: VpSdeConfig; model: TimeNetConfig; train: SdeTrainConfig },
): Promise<SavedSdeNet> {
  const m = await trainSdeNet(env, x, c);
  try {
    return saveSdeNet(m);
  } finally {
    m.dispose();
  }
}

/**
 * `body` given the saved network and the two scores a sweep compares, learned and exact (the
 * mixture's noised score at the same SDE times); all of it disposed after.
 */
export async function withSdeScores<T>(
  c: { sde: VpSdeConfig; model: TimeNetConfig },
  saved: SavedSdeNet,
  mixture: GaussianMixture,
  body: (model: SdeNet, scores: [string, ScoreFn][]) => Promise<T>,
): Promise<T> {
  const model = loadSdeNet(c, saved);
  const oracle = new MixtureOracle(mixture);
  const w = model.net.params.fused();
  try {
    return await body(model, [
      ["learned", scoreFromEpsNetworkAtTime(model.net, w, model.sde)],
      ["exact", scoreFromMixtureAtTime(oracle, model.sde)],
    ]);
  } finally {
    tf.dispose(w);
    model.dispose();
    oracle.dispose();
  }
}

/** Options of {@link trainSde}. */
export interface TrainSdeOptions {
  net: Network;
  sde: Sde;
  x: Float32Array;
  dim: number;
  batching: Batching;
  optimizer: AdamOptions;
  /** Smallest training time (1e-5). */
  tMin: number;
  /** EMA rate of the weights, if any (the caller disposes `Trained.ema`). */
  ema?: number;
  streams: Streams;
  progress: Progress;
  /** The run's checkpoints (none by default). */
  checkpoints?: Checkpoints;
  /** Extra conditioning inputs of the minibatch rows `idx`, besides t. */
  features?: (idx: Int32Array) => Record<string, tf.Tensor2D>;
}

/** Train `net` (its "t" input a [N, 1] column) as eps_theta(x, t). */
export function trainSde(o: TrainSdeOptions): Promise<Trained> {
  const draws = o.streams.get("train");
  return trainOnData({
    ...o,
    regression: (x0, idx) => {
      const t = drawTimes(idx.length, o.tMin, o.sde.T, draws);
      const z = draws.normals(idx.length * o.dim);
      return continuousDsmRegression(o.sde, x0, t, z, o.features?.(idx));
    },
  });
}

/**
 * The model's mean NLL of `points` test points (from the `test` stream) by the PF-ODE, defaults of
 * `nll`, and the test points' share of the training rows `train` (0: held out).
 */
export async function testNll(
  env: RunEnv,
  sde: SdeType,
  score: ScoreFn,
  dataset: Dataset,
  points: number,
  train: Float32Array,
): Promise<{ nll: number; nfe: number; testInTraining: number }> {
  const phase = env.progress.phase("nll", 1);
  const test = dataset.sample(points, env.streams.get("test"));
  const r = nll(sde, score, test.x, 2);
  await phase.tick();
  phase.done();
  return {
    nll: r.nll.reduce((a, b) => a + b, 0) / points,
    nfe: r.nfe,
    testInTraining: testInTraining(test.x, train, 2),
  };
}
