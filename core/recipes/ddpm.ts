/**
 * The DDPM recipe (seed 004): the chain, model and sample sections of a config, training an
 * epsilon network with the DDPM objective (shuffled epochs as the seeds' loader, a time index and
 * noise per row), ancestral sampling, and forward-process draws for figures.
 */
import * as tf from "@tensorflow/tfjs";
import { Network } from "../nn/network.ts";
import type { Feature, NetworkSpec } from "../nn/spec.ts";
import { ddpmNoisePredictor } from "../nn/architectures.ts";
import { epsFromMixture, epsFromNetwork, epsFromScoreNetwork, type EpsModel } from "../models.ts";
import type { Weights } from "../nn/weights.ts";
import { ddpmRegression, drawTimesAndNoise } from "../objectives/ddpm.ts";
import {
  type DiscreteSchedule,
  linearBetaSchedule,
  marginalCoefficients,
  qSample,
} from "../noise/schedules.ts";
import type { Stream, Streams } from "../runtime/random.ts";
import {
  type GaussianMixture,
  marginal,
  mixtureLogDensity,
  MixtureOracle,
} from "../data/mixtures.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";
import { betaOrder, type Check, rules, unless } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { ddpmSample, type DdpmVariance } from "../samplers/ddpm.ts";
import { sampleInBatches } from "../samplers/batched.ts";
import type { SamplerResult } from "../samplers/result.ts";
import {
  EPOCHS,
  type EpochsConfig,
  type Snapshot,
  stepsOf,
  type Trained,
  type TrainingSegment,
  type TrainingState,
  trainOnData,
} from "./train.ts";
import { blockMeans, summary } from "../metrics/statistics.ts";
import { epsRmsError } from "../metrics/eps_error.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** The chain section: T steps with betas linear from betaStart to betaEnd (seed 004: 200, 1e-4, 0.02). */
export interface ChainConfig {
  /** Number of diffusion steps T. */
  T: number;
  betaStart: number;
  betaEnd: number;
}

/** The rules of {@link ChainConfig}. */
export const CHAIN: Section<ChainConfig> = {
  schema: { T: rules.int(2, 10_000), betaStart: rules.rate(), betaEnd: rules.rate() },
  checks: [betaOrder],
};

/**
 * The check that a list of time indices (at the dotted config path `field`) lies in [0, T - 1] of
 * the config's chain.
 */
export function timeIndicesOfChain<C extends { chain: ChainConfig }>(
  field: string,
  list: (c: C) => number[],
): Check<C> {
  return (c) =>
    unless(
      list(c).every((t) => t < c.chain.T),
      field,
      list(c),
      `time indices in [0, ${c.chain.T - 1}]`,
    );
}

/**
 * The time indices a sampler keeps for figures: `shown`, and every `every`-th from T - 1 down (the
 * frames of the reverse animation). Keeping a state changes no sample.
 */
export function keptSteps(T: number, shown: number[], every: number): number[] {
  const frames = Array.from({ length: Math.ceil(T / every) }, (_, i) => T - 1 - i * every);
  return [...new Set([...shown, ...frames])].sort((a, b) => b - a);
}

/** The schedule of a chain section. */
export function chainSchedule(c: ChainConfig): DiscreteSchedule {
  return linearBetaSchedule(c.T, c.betaStart, c.betaEnd);
}

/** The model section of seed 004's noise predictor: the time-embedding width and the hidden layers. */
export interface EpsNetConfig {
  timeEmbedDim: number;
  hidden: number[];
}

/** The rules of {@link EpsNetConfig}. */
export const EPS_NET: Section<EpsNetConfig> = {
  schema: {
    timeEmbedDim: rules.positiveInt(1024),
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
  },
};

/** The sample section of the ancestral sampler. */
export interface AncestralConfig {
  samples: number;
  /** Samples drawn per batch (the samples are the same bytes whatever the batch size). */
  sampleBatch: number;
  /** Reverse-step variance: beta_t (the seed) or the posterior variance. */
  variance: DdpmVariance;
}

/** The rules of {@link AncestralConfig}. */
export const ANCESTRAL: Section<AncestralConfig> = {
  schema: {
    samples: rules.int(2, 1_000_000),
    sampleBatch: rules.positiveInt(1_000_000),
    variance: rules.oneOf("beta", "posterior"),
  },
};

/** The training metric of every DDPM recipe. */
export const DDPM_METRICS: Record<"finalLoss", MetricSpec> = {
  finalLoss: {
    description: "mean training loss (MSE of the predicted noise) over the last epoch",
    better: "lower",
  },
};

/**
 * The training checks of a noise predictor's run (`core/metrics/training_checks.ts`): exact closed
 * forms of its EMA and its loader, which the sample figures' seed spread cannot replace.
 */
export const TRAINING_CHECK_METRICS: Record<
  "emaFirstUpdateOff" | "firstEpochDistinct" | "loaderReplayOff",
  MetricSpec
> = {
  emaFirstUpdateOff: {
    description:
      "EMA check: fraction of weights more than 4 float32 ulps off m₀ w₀ + (1 − m₀) w₁ after the first " +
      "EMA update (m₀ = min(rate, 1/10), the warm-up); 0 when the average is right",
    better: "lower",
    gate: { exact: "float32" },
  },
  firstEpochDistinct: {
    description:
      "loader check: distinct rows / rows drawn over the first epoch's batches (a permutation cut " +
      "into batches: 1)",
    better: "higher",
    gate: { exact: "float32" },
  },
  loaderReplayOff: {
    description:
      "loader check: fraction of the rows drawn over the first two epochs that differ from the " +
      "loader's law replayed from its stream (a fresh permutation of all rows each epoch); 0 when " +
      "right",
    better: "lower",
    gate: { exact: "float32" },
  },
};

/**
 * What a chain's network outputs: the noise eps_theta (seed 004's choice) or the score s_theta of
 * q_t (the form before its reparameterization); either is read as an {@link EpsModel}.
 */
export type ChainOutput = "eps" | "score";

/** A trained epsilon network and its training record. */
export interface EpsNet {
  net: Network;
  schedule: DiscreteSchedule;
  /** What the network outputs ({@link epsModelOf} reads either as an epsilon predictor). */
  output: ChainOutput;
  /** Mean loss per epoch. */
  lossByEpoch: number[];
  /** The last epoch's mean loss ({@link DDPM_METRICS}). */
  finalLoss: number;
  /** Optimizer steps taken. */
  steps: number;
  /** The first update's largest move in units of the rate (`Trained.firstStep`). */
  firstStep: number;
  /** The optimizer's moments check (`Trained.adamMomentsOff`). */
  adamMomentsOff: number;
  /** The EMA check (`Trained.emaFirstUpdateOff`; NaN without EMA). */
  emaFirstUpdateOff: number;
  /** The loader check (`Trained.firstEpochDistinct`). */
  firstEpochDistinct: number;
  /** The loader replay (`Trained.loaderReplayOff`). */
  loaderReplayOff: number;
  /** What the training did, read off the run (tests check a recipe's options reach it). */
  facts: TrainingFacts;
  /** The weights (and their average) after each of `EpsNetOptions.snapshotSteps`. */
  snapshots: Snapshot[];
  /** After a stretch of the training (`segment`): its whole state, for the next stretch. */
  state?: TrainingState;
  dispose(): void;
}

/**
 * What a noise predictor's training did, read off the trained objects rather than the options
 * asked for: a recipe option lost on its way (an EMA, a decay, a time feature, a larger data set)
 * shows here while the samples may still look fine.
 */
export interface TrainingFacts {
  /** Rows of the training set. */
  rows: number;
  /** Optimizer steps taken. */
  steps: number;
  /** The last update's rate over the base rate (`Trained.lrLastRatio`). */
  lrLastRatio: number;
  /** Did an average of the weights run (its first update was checked)? */
  ema: boolean;
  /** The kind of the network's time feature ("embedding" or "sinusoidal"). */
  timeFeature: string;
}

/** Options of {@link trainEpsNet} beyond the config sections. */
export interface EpsNetOptions {
  dim?: number;
  /** Conditioning inputs besides t (a one-hot label, an embedded radius). */
  features?: Feature[];
  /** Their values for the minibatch rows `idx`. */
  featureValues?: (idx: Int32Array, step: number) => Record<string, tf.Tensor2D>;
  /** EMA rate of the weights, if any: the trained network then holds the averaged weights. */
  ema?: number;
  /** Decay the learning rate to 0 over training by a cosine (`AdamOptions.cosineSteps`). */
  cosineDecay?: boolean;
  /** The time feature: seed 004's learned embedding (default) or fixed sinusoidal features. */
  timeEmbedding?: "learned" | "sinusoidal";
  /** The chain's betas when not the chain section's linear ones (a cosine schedule). */
  schedule?: DiscreteSchedule;
  /** What the network outputs and is trained on: eps (default, `ddpmLoss`) or the score (`ddpmScoreLoss`), as `ddpmRegression`. */
  output?: ChainOutput;
  /** Steps after which to keep the weights and their average (`TrainOnDataOptions.snapshotSteps`). */
  snapshotSteps?: number[];
}

/**
 * Seed 004's noise predictor (with any extra conditioning features) initialised from the `init`
 * stream and trained on `x` by the DDPM objective for the chain, model and train sections; with
 * `segment`, only that stretch of the training (the network after its last step).
 */
export async function trainEpsNet(
  env: RunEnv,
  x: Float32Array,
  c: { chain: ChainConfig; model: EpsNetConfig; train: EpochsConfig },
  o: EpsNetOptions = {},
  segment?: TrainingSegment,
): Promise<EpsNet> {
  const dim = o.dim ?? 2;
  const net = new Network(epsNetSpec(c, o), env.streams.get("init"));
  const schedule = o.schedule ?? chainSchedule(c.chain);
  try {
    const trained = await trainDdpm({
      net,
      schedule,
      x,
      dim,
      batchSize: c.train.batchSize,
      epochs: c.train.epochs,
      lr: c.train.lr,
      cosineDecay: o.cosineDecay,
      ema: o.ema,
      features: o.featureValues,
      output: o.output,
      snapshotSteps: o.snapshotSteps,
      segment,
      ...env,
    });
    if (trained.ema) {
      net.params.write(trained.ema.read());
      trained.ema.dispose();
    }
    const lossByEpoch = blockMeans(trained.losses, trained.batchesPerEpoch);
    const out: EpsNet = {
      net,
      schedule,
      output: o.output ?? "eps",
      lossByEpoch,
      finalLoss: lossByEpoch[lossByEpoch.length - 1],
      steps: trained.losses.length,
      firstStep: trained.firstStep,
      adamMomentsOff: trained.adamMomentsOff,
      emaFirstUpdateOff: trained.emaFirstUpdateOff,
      firstEpochDistinct: trained.firstEpochDistinct,
      loaderReplayOff: trained.loaderReplayOff,
      facts: {
        rows: x.length / dim,
        steps: trained.losses.length,
        lrLastRatio: trained.lrLastRatio,
        ema: Number.isFinite(trained.emaFirstUpdateOff),
        timeFeature: net.spec.features.find((f) => f.name === "t")?.kind ?? "none",
      },
      snapshots: trained.snapshots,
      state: trained.state,
      dispose: () => net.dispose(),
    };
    return out;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** The network {@link trainEpsNet} trains for `c` and `o` (seed 004's, with `o`'s features). */
function epsNetSpec(
  c: { chain: ChainConfig; model: EpsNetConfig },
  o: EpsNetOptions,
): NetworkSpec {
  const spec = ddpmNoisePredictor({ T: c.chain.T, ...c.model }, o.dim ?? 2, o.timeEmbedding);
  return { ...spec, features: [...spec.features, ...(o.features ?? [])] };
}

/** What a sampler needs of a trained noise predictor: its network, chain and output. */
export type EpsNetwork = Pick<EpsNet, "net" | "schedule" | "output" | "dispose">;

/**
 * The network {@link trainEpsNet} trains for `c` and `o`, holding `weights` (kept from a training
 * in another part of the run): it predicts with the trained network's bits.
 */
export function loadEpsNet(
  c: { chain: ChainConfig; model: EpsNetConfig },
  o: EpsNetOptions,
  weights: Float32Array,
): EpsNetwork {
  const net = new Network(epsNetSpec(c, o), weights);
  return {
    net,
    schedule: o.schedule ?? chainSchedule(c.chain),
    output: o.output ?? "eps",
    dispose: () => net.dispose(),
  };
}

/** Options of {@link trainDdpm}. */
export interface TrainDdpmOptions {
  net: Network;
  schedule: DiscreteSchedule;
  /** Training points, flat row-major. */
  x: Float32Array;
  dim: number;
  batchSize: number;
  epochs: number;
  lr: number;
  streams: Streams;
  progress: Progress;
  /** The run's checkpoints (none by default). */
  checkpoints?: Checkpoints;
  /** Conditioning inputs of the minibatch rows `idx` (conditional models), besides t. */
  features?: (idx: Int32Array, step: number) => Record<string, tf.Tensor2D>;
  /** EMA rate of the weights, if any (the caller disposes `Trained.ema`). */
  ema?: number;
  /** Cosine decay of the learning rate over all steps. */
  cosineDecay?: boolean;
  /** What the network outputs: eps (default) or the score. */
  output?: ChainOutput;
  /** Steps after which to keep the weights and their average. */
  snapshotSteps?: number[];
  /** Only this stretch of the training (`TrainOnDataOptions.segment`). */
  segment?: TrainingSegment;
}

/** Train with Adam on shuffled epochs; returns the loss of every step. */
export function trainDdpm(o: TrainDdpmOptions): Promise<Trained> {
  const noise = o.streams.get("train");
  return trainOnData({
    net: o.net,
    x: o.x,
    dim: o.dim,
    batching: { kind: "epochs", batchSize: o.batchSize, epochs: o.epochs },
    optimizer: {
      lr: o.lr,
      cosineSteps: o.cosineDecay
        ? stepsOf({ kind: "epochs", batchSize: o.batchSize, epochs: o.epochs }, o.x.length / o.dim)
        : undefined,
    },
    ema: o.ema,
    snapshotSteps: o.snapshotSteps,
    segment: o.segment,
    streams: o.streams,
    progress: o.progress,
    checkpoints: o.checkpoints,
    regression: (x0, idx, step) => {
      const { t, eps } = drawTimesAndNoise(idx.length, o.dim, o.schedule.T, noise);
      const features = o.features?.(idx, step);
      return ddpmRegression(o.net, o.schedule, x0, t, eps, features, o.output ?? "eps");
    },
  });
}

/** A trained chain network with weights `w` (and fixed extra inputs) as an epsilon predictor. */
export function epsModelOf(
  model: EpsNetwork,
  w: Weights,
  extra: Record<string, tf.Tensor2D> = {},
): EpsModel {
  return model.output === "score"
    ? epsFromScoreNetwork(model.net, w, model.schedule, extra)
    : epsFromNetwork(model.net, w, model.schedule.T, extra);
}

/**
 * `c.samples` ancestral samples of a trained network (purpose `sample`, `c.sampleBatch` at a time),
 * keeping the states at the time indices `keep` (figures).
 */
export async function sampleAncestral(
  env: RunEnv,
  model: EpsNetwork,
  c: AncestralConfig,
  o: { dim?: number; keep?: number[] } = {},
): Promise<SamplerResult> {
  const phase = env.progress.phase("sample", 1);
  const w = model.net.params.fused();
  try {
    return ancestralInBatches(env, epsModelOf(model, w), model.schedule, c, o.dim ?? 2, o.keep);
  } finally {
    tf.dispose(w);
    await phase.tick();
    phase.done();
  }
}

/**
 * `c.samples` ancestral samples driven by the exact epsilon of `mixture` on the chain `chain`
 * (purpose `sample`): what the sampler gives when learning is perfect, the oracle beside a model.
 */
export function sampleExact(
  env: RunEnv,
  mixture: GaussianMixture,
  chain: ChainConfig,
  c: AncestralConfig,
): SamplerResult {
  const oracle = new MixtureOracle(mixture);
  try {
    const schedule = chainSchedule(chain);
    const eps = epsFromMixture(oracle, schedule);
    return ancestralInBatches(env, eps, schedule, c, mixture.means[0].length);
  } finally {
    oracle.dispose();
  }
}

/** `c.samples` ancestral samples of `eps` (purpose `sample`, `c.sampleBatch` at a time). */
function ancestralInBatches(
  env: RunEnv,
  eps: EpsModel,
  schedule: DiscreteSchedule,
  c: AncestralConfig,
  dim: number,
  keep?: number[],
): SamplerResult {
  return sampleInBatches(
    env.streams,
    "sample",
    c.samples,
    c.sampleBatch,
    (noise) => ddpmSample(eps, schedule, noise, { dim, variance: c.variance, keep }),
  );
}

/**
 * A trained chain network against the exact epsilon of `mixture` (`epsRmsError` at each time index
 * of `times`, on q_t draws from the first `points` rows of x0, purpose `check`), and the spread
 * (sd / mean) of its last `lastEpochs` epoch losses: how settled training ended.
 */
export function exactCheck(
  env: RunEnv,
  model: EpsNet,
  mixture: GaussianMixture,
  x0: Float32Array,
  c: { points: number; times: number[]; lastEpochs: number },
): { epsError: number[]; lossSpread: number } {
  const dim = mixture.means[0].length;
  const rows = x0.subarray(0, dim * Math.min(c.points, x0.length / dim));
  const oracle = new MixtureOracle(mixture);
  const w = model.net.params.fused();
  try {
    const eps = epsModelOf(model, w), exact = epsFromMixture(oracle, model.schedule);
    const stream = env.streams.get("check");
    const epsError = c.times.map((t) =>
      epsRmsError(eps, exact, model.schedule, rows, dim, t, stream)
    );
    const last = summary(model.lossByEpoch.slice(-c.lastEpochs));
    return { epsError, lossSpread: last.sd / last.mean };
  } finally {
    tf.dispose(w);
    oracle.dispose();
  }
}

/** A draw of q(x_t | x_0) for each row of x0 (flat, `dim` per row) at time index t. */
export function forwardSample(
  schedule: DiscreteSchedule,
  x0: Float32Array,
  dim: number,
  t: number,
  stream: Stream,
): Float32Array {
  const n = x0.length / dim;
  return tidyValues(() => {
    const c = marginalCoefficients(schedule, [t]);
    const eps = tf.tensor2d(stream.normals(n * dim), [n, dim]);
    return qSample(tf.tensor2d(x0, [n, dim]), c.mean, c.std, eps);
  });
}

/** The learned and exact scores of a 1-D chain at one time index, on a grid (see {@link scoreCheck1d}). */
export interface ScoreCheck {
  t: number;
  learned: Float32Array;
  exact: Float32Array;
  /** max |learned - exact| where p_t(x) >= the density floor. */
  maxError: number;
  /** The same divided by max |exact| there. */
  relError: number;
}

/**
 * A 1-D epsilon network read as a score, s_theta(x, t) = -eps_theta(x, t) / sqrt(1 - alphaBar_t),
 * against the exact score of the noised mixture q_t = law of sqrt(alphaBar_t) x_0 +
 * sqrt(1 - alphaBar_t) eps, on the points `grid`; the errors are taken where q_t(x) >= `floor`.
 */
export function scoreCheck1d(
  model: EpsNet,
  mixture: GaussianMixture,
  grid: Float32Array,
  t: number,
  floor: number,
): ScoreCheck {
  const ab = model.schedule.alphaBar[t];
  const a = Math.sqrt(ab), s = Math.sqrt(1 - ab);
  const oracle = new MixtureOracle(mixture);
  const w = model.net.params.fused();
  const [learned, exact] = tidyValues(() => {
    const x = tf.tensor2d(grid, [grid.length, 1]);
    const eps = epsModelOf(model, w)(x, t);
    return [tf.div(eps, -s), oracle.score(x, a, s)];
  });
  tf.dispose(w);
  oracle.dispose();
  const p = mixtureLogDensity(marginal(mixture, a, s), grid).map(Math.exp);
  let maxError = 0, maxScore = 0;
  grid.forEach((_, i) => {
    if (p[i] >= floor) {
      maxError = Math.max(maxError, Math.abs(learned[i] - exact[i]));
      maxScore = Math.max(maxScore, Math.abs(exact[i]));
    }
  });
  return { t, learned, exact, maxError, relError: maxError / maxScore };
}

/** The sections every DDPM experiment has: the chain, seed 004's noise predictor, its training. */
export interface DdpmBase {
  chain: ChainConfig;
  model: EpsNetConfig;
  train: EpochsConfig;
}

/** The rules of {@link DdpmBase}'s sections (spread into an experiment's `assemble`). */
export const DDPM_SECTIONS: {
  chain: Section<ChainConfig>;
  model: Section<EpsNetConfig>;
  train: Section<EpochsConfig>;
} = {
  chain: CHAIN,
  model: EPS_NET,
  train: EPOCHS,
};

/**
 * Seed 004's values (sections 16.3-16.6): T = 200, betas 1e-4..0.02, a 16-wide time embedding and
 * 128-128 ReLU layers, batch 256, Adam 1e-3 for 1000 epochs.
 */
export const SEED_004: DdpmBase = {
  chain: { T: 200, betaStart: 1e-4, betaEnd: 0.02 },
  model: { timeEmbedDim: 16, hidden: [128, 128] },
  train: { batchSize: 256, epochs: 1000, lr: 1e-3 },
};
