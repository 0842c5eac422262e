/**
 * Training a network on a data set: minibatches drawn the way a seed draws them, Adam or AdamW,
 * optional EMA of the weights, progress, and checkpoint callbacks (a metric tracked during
 * training). The loss is the objective's; this file only moves data and steps.
 */
import { ints } from "../runtime/arrays.ts";
import * as tf from "@tensorflow/tfjs";
import { gatherRows, Minibatches } from "../data/loader.ts";
import type { Network } from "../nn/network.ts";
import { Adam, type AdamOptions, learningRate } from "../nn/adam.ts";
import { Ema } from "../nn/ema.ts";
import {
  adamMomentsOff,
  EarlyEpochRows,
  emaFirstUpdateOff,
  loaderReplayOff,
} from "../metrics/training_checks.ts";
import { fit, type GradientMode, type LossFn } from "../nn/train.ts";
import type { Regression, RegressionBatch } from "../nn/regression.ts";
import type { Weights } from "../nn/weights.ts";
import { Stream, type Streams, type StreamState } from "../runtime/random.ts";
import {
  type Checkpoints,
  decodeFloats,
  decodeInts,
  encodeFloats,
  encodeInts,
  NO_CHECKPOINTS,
} from "../runtime/checkpoints.ts";
import type { Progress } from "../runtime/progress.ts";
import {
  batchFitsData,
  epochBudget,
  MAX_TRAINING_STEPS,
  rules,
  type Violation,
} from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";

/** The train section of epoch-based training (seed 004's loop): Adam on shuffled full batches. */
export interface EpochsConfig {
  batchSize: number;
  epochs: number;
  lr: number;
}

/** The rules of {@link EpochsConfig}. */
export const EPOCHS: Section<EpochsConfig> = {
  schema: { batchSize: rules.batchSize(), epochs: rules.epochs(), lr: rules.learningRate() },
};

/** The train section of step-based training (seed 000's loop): Adam on batches drawn with replacement. */
export interface StepsConfig {
  steps: number;
  batchSize: number;
  lr: number;
}

/** The rules of {@link StepsConfig}. */
export const STEPS: Section<StepsConfig> = {
  schema: {
    steps: rules.positiveInt(MAX_TRAINING_STEPS),
    batchSize: rules.batchSize(),
    lr: rules.learningRate(),
  },
};

/** The {@link Batching} of an {@link EpochsConfig}. */
export function epochBatching(c: EpochsConfig): Batching {
  return { kind: "epochs", batchSize: c.batchSize, epochs: c.epochs };
}

/**
 * The check across the data and train sections: a batch fits in the training set and the epochs
 * stay within the step budget (reported as `train.batchSize` or `train.epochs`).
 */
export function trainingFitsData(
  c: { data: { trainSize: number }; train: EpochsConfig },
): Violation | null {
  const flat = { ...c.train, trainSize: c.data.trainSize };
  const v = batchFitsData(flat) ?? epochBudget(flat);
  return v &&
    { ...v, field: `train.${v.field}`, allowed: v.allowed.replace("trainSize", "data.trainSize") };
}

/** How minibatches are drawn. */
export type Batching =
  /** Shuffled epochs cut into full batches, the remainder dropped (seed 004's DataLoader). */
  | { kind: "epochs"; batchSize: number; epochs: number }
  /** `batchSize` indices drawn with replacement at every step (seed 000's torch.randint). */
  | { kind: "draws"; batchSize: number; steps: number };

/** Options of {@link trainOnData}. */
export interface TrainOnDataOptions {
  net: Network;
  /** Training points, flat row-major, `dim` per row. */
  x: Float32Array;
  dim: number;
  batching: Batching;
  optimizer: AdamOptions;
  /** EMA rate of the weights, if any. */
  ema?: number;
  streams: Streams;
  progress: Progress;
  /** The run's checkpoints (none by default). */
  checkpoints?: Checkpoints;
  /**
   * The objective on the minibatch rows `x0` (indices `idx`) at `step`: a loss of the weights
   * (`loss`), or a regression of the network's output (`regression`, `core/nn/regression.ts`: the
   * same bits as its loss, without tfjs's tape). Exactly one is given.
   */
  loss?: (w: Weights, x0: tf.Tensor2D, idx: Int32Array, step: number) => tf.Scalar;
  regression?: (x0: Float32Array, idx: Int32Array, step: number) => RegressionBatch;
  /**
   * Every `every` steps (and after the last) record `track(step)`: values measured during training
   * (a Fisher divergence, say). The rows are returned in `Trained.track` and saved in checkpoints, so
   * a resumed run returns the same rows.
   */
  every?: number;
  track?: (step: number) => Record<string, string | number>;
  /**
   * Steps after which to keep a copy of the weights and of their average (when `ema` is set): one
   * training then serves several lengths of it (an ablation's shorter run is the longer run's
   * prefix when the rate does not decay). Returned in `Trained.snapshots`, saved in checkpoints.
   */
  snapshotSteps?: number[];
  /**
   * Train only a stretch of the steps (a part of a run, so that no unit of work is long): from
   * the state an earlier stretch returned, or the start, to step `until`. The steps, draws and
   * bits are those of the whole training (a stretch resumes as a checkpoint does).
   */
  segment?: TrainingSegment;
  /** Suffix of the progress phase name ("train <label>"). */
  label?: string;
  /** How the gradient is taken: "fused" (default) or "autodiff" (losses that differentiate the
   * network themselves, see `GradientMode`). */
  gradient?: GradientMode;
}

/** A stretch of one training: from an earlier stretch's state (absent: the start) to a step. */
export interface TrainingSegment {
  /** The state the previous stretch returned (`Trained.state`). */
  from?: TrainingState;
  /** The step the stretch ends after (1 .. the training's steps). */
  until: number;
}

/** What training returns. */
export interface Trained {
  /** Loss of every step (with a `segment`: up to its last step). */
  losses: Float32Array;
  /** Steps per epoch ("epochs" batching) or 1. */
  batchesPerEpoch: number;
  /** The averaged weights when `ema` was set (the caller disposes). */
  ema?: Ema;
  /** The rows recorded by `track`, each with its `step`. */
  track: Record<string, string | number>[];
  /** The weights (and their average, with `ema`) after each of `snapshotSteps`, in step order. */
  snapshots: Snapshot[];
  /**
   * max over weights of |change| / lr at the first update: Adam's bias-corrected first step moves
   * each weight with a nonzero gradient by lr |g| / (|g| + eps), so this is 1 up to float32 (plus
   * lr wd |p| with weight decay). An optimizer check measured in the real run.
   */
  firstStep: number;
  /** Optimizer check: Adam's moments after the first update against their closed form (`adamMomentsOff`); 0 when correct. */
  adamMomentsOff: number;
  /**
   * EMA check: the fraction of weights off the closed form of the first EMA update
   * (`emaFirstUpdateOff`); 0 when correct, NaN without EMA.
   */
  emaFirstUpdateOff: number;
  /**
   * Loader check: distinct rows / rows drawn over the first epoch's batches (`FirstEpochRows`); 1
   * when correct, NaN for batches drawn with replacement.
   */
  firstEpochDistinct: number;
  /**
   * Loader check: the fraction of the rows drawn over the first two epochs that differ from the
   * loader's law replayed from its stream (`loaderReplayOff`); 0 when correct, NaN for batches
   * drawn with replacement.
   */
  loaderReplayOff: number;
  /**
   * The rate of the last update over the base rate, from the optimizer's own schedule: 1 without
   * decay, about (pi / steps)^2 / 4 after a cosine decay.
   */
  lrLastRatio: number;
  /** With a `segment`: the whole state after its last step, for the next stretch (plain data). */
  state?: TrainingState;
}

/** The weights after `step` optimizer steps, and their average when an EMA runs. */
export interface Snapshot {
  step: number;
  params: Float32Array;
  ema?: Float32Array;
}

/** Epochs whose batches the loader checks keep (fewer when training is shorter). */
const LOADER_CHECK_EPOCHS = 2;

/** The loss or regression of `o` on the minibatch rows of each step. */
function objective(
  o: TrainOnDataOptions,
  indices: (step: number) => Int32Array,
): LossFn | Regression {
  const { loss, regression } = o;
  if (!loss === !regression) throw new Error("trainOnData: give one of loss and regression");
  if (regression && o.gradient === "autodiff") {
    throw new Error("trainOnData: a regression takes the fused gradient, not autodiff");
  }
  if (regression) {
    return {
      spec: o.net.spec,
      batch: (step) => {
        const idx = indices(step);
        return regression(gatherRows(o.x, o.dim, idx), idx, step);
      },
    };
  }
  return (w, step) => {
    const idx = indices(step);
    return loss!(w, tf.tensor2d(gatherRows(o.x, o.dim, idx), [idx.length, o.dim]), idx, step);
  };
}

/** Number of optimizer steps of a batching scheme on n points. */
export function stepsOf(b: Batching, n: number): number {
  return b.kind === "epochs" ? b.epochs * Math.floor(n / b.batchSize) : b.steps;
}

/**
 * The epochs over `toSize` points that take (at least, in whole epochs) the optimizer steps of
 * `c.epochs` over `fromSize` points: a larger training set seen for the same length of training.
 */
export function epochsAtSameSteps(c: EpochsConfig, fromSize: number, toSize: number): number {
  const perEpoch = (n: number) => stepsOf({ kind: "epochs", batchSize: c.batchSize, epochs: 1 }, n);
  return Math.max(1, Math.ceil(c.epochs * perEpoch(fromSize) / perEpoch(toSize)));
}

/**
 * The check of a `larger` training set seen for the steps of `c.epochs` over `trainSize` points
 * ({@link epochsAtSameSteps}): it holds a batch (reported as `<prefix>.trainSize`), and those
 * steps stay within the budget (`<prefix>.epochs`).
 */
export function sameStepsFit(
  c: EpochsConfig,
  trainSize: number,
  larger: number,
  prefix: string,
): Violation | null {
  if (larger < c.batchSize) {
    return {
      field: `${prefix}.trainSize`,
      got: larger,
      allowed: `an integer >= train.batchSize (${c.batchSize})`,
    };
  }
  return epochBudget({ ...c, trainSize }, `${prefix}.epochs`);
}

/** Train `net` on the data; see {@link TrainOnDataOptions}. Checkpointed when the runner asks. */
export async function trainOnData(o: TrainOnDataOptions): Promise<Trained> {
  const n = o.x.length / o.dim;
  const b = o.batching;
  let indices: (step: number) => Int32Array;
  let batchesPerEpoch = 1;
  let loader: Minibatches | undefined;
  let early: EarlyEpochRows | undefined;
  if (b.kind === "epochs") {
    const l = new Minibatches(n, b.batchSize, o.streams.get("shuffle"));
    const rows = new EarlyEpochRows(
      l.batchesPerEpoch,
      b.batchSize,
      Math.min(LOADER_CHECK_EPOCHS, b.epochs),
    );
    loader = l;
    early = rows;
    batchesPerEpoch = l.batchesPerEpoch;
    indices = (step) => {
      const idx = l.at(step);
      if (step === rows.batches) rows.add(idx);
      return idx;
    };
  } else {
    const draws = o.streams.get("batches");
    indices = () => ints(b.batchSize, () => draws.int(n));
  }
  const steps = stepsOf(b, n);
  const snapshotAt = new Set(o.snapshotSteps ?? []);
  for (const k of snapshotAt) {
    if (!Number.isInteger(k) || k < 1 || k > steps) {
      throw new RangeError(`trainOnData: a snapshot at step ${k}; allowed: 1..${steps}`);
    }
  }
  const snapshots: Snapshot[] = [];
  const optimizer = new Adam(o.net.params, o.optimizer);
  const ema = o.ema !== undefined ? new Ema(o.net.params, o.ema) : undefined;
  const losses = new Float32Array(steps);
  const track: Trained["track"] = [];
  const until = o.segment?.until ?? steps;
  if (!Number.isInteger(until) || until < 1 || until > steps) {
    throw new RangeError(`trainOnData: a segment until step ${until}; allowed: 1..${steps}`);
  }
  const from = o.segment?.from;
  if (from && !(from.step < until)) {
    throw new RangeError(
      `trainOnData: a segment from step ${from.step} until step ${until}; allowed: a state of an earlier step`,
    );
  }
  const slot = (o.checkpoints ?? NO_CHECKPOINTS).slot(o.label ?? "train");
  // this stretch's own checkpoint (an interrupted run), else the state the last stretch left
  const own = slot?.load() as TrainingState | null | undefined;
  const saved = own && own.step <= until && own.step >= (from?.step ?? 0) ? own : from;
  let startStep = 0;
  let firstStep = NaN;
  let emaOff = NaN;
  let momentsOff = NaN;
  let firstEpochDistinct = NaN;
  let loaderOff = NaN;
  if (saved) {
    const s = saved;
    o.net.params.write(decodeFloats(s.params));
    optimizer.load({ step: s.adam.step, m: decodeFloats(s.adam.m), v: decodeFloats(s.adam.v) });
    if (ema && s.ema) ema.write(decodeFloats(s.ema.avg), s.ema.updates);
    o.streams.restore(s.streams);
    if (loader && s.loader) {
      const perm = s.loader.perm;
      loader.restore({
        epoch: s.loader.epoch,
        perm: typeof perm === "string" ? decodeInts(perm) : perm,
      });
    }
    losses.set(decodeFloats(s.losses));
    track.push(...s.track);
    for (const k of s.snapshots ?? []) {
      snapshots.push({
        step: k.step,
        params: decodeFloats(k.params),
        ...(k.ema ? { ema: decodeFloats(k.ema) } : {}),
      });
    }
    startStep = s.step;
    firstStep = s.firstStep ?? NaN;
    emaOff = s.emaFirstUpdateOff ?? NaN;
    momentsOff = s.adamMomentsOff ?? NaN;
    firstEpochDistinct = s.firstEpochDistinct ?? NaN;
    loaderOff = s.loaderReplayOff ?? NaN;
    // resumed inside the kept epochs: their earlier batches are the loader's from its stream's start
    if (loader && early && startStep < early.epochs * early.batchesPerEpoch) {
      const past = new Minibatches(n, b.batchSize, new Stream(loader.stream.key));
      for (let step = 0; step < startStep && !early.complete; step++) early.add(past.at(step));
    }
  }
  // the loader checks: measured once their epochs are complete (the replay once), else as saved
  const distinct = () =>
    early && early.batches >= early.batchesPerEpoch
      ? early.distinctFraction(n)
      : firstEpochDistinct;
  const replayed = () => {
    if (Number.isNaN(loaderOff) && loader && early?.complete) {
      loaderOff = loaderReplayOff(early.rows(), n, early.batchSize, new Stream(loader.stream.key));
    }
    return loaderOff;
  };
  const initial = startStep === 0 ? o.net.params.read().slice() : undefined;
  const stateAt = (step: number): TrainingState => ({
    step,
    params: encodeFloats(o.net.params.read()),
    adam: (() => {
      const a = optimizer.state();
      return { step: a.step, m: encodeFloats(a.m), v: encodeFloats(a.v) };
    })(),
    ema: ema ? { avg: encodeFloats(ema.read()), updates: ema.updates } : null,
    streams: o.streams.states(),
    loader: (() => {
      const l = loader?.state();
      return l ? { epoch: l.epoch, perm: l.perm ? encodeInts(l.perm) : null } : null;
    })(),
    losses: encodeFloats(losses.subarray(0, step)),
    track,
    snapshots: snapshots.map((k) => ({
      step: k.step,
      params: encodeFloats(k.params),
      ema: k.ema ? encodeFloats(k.ema) : null,
    })),
    firstStep,
    emaFirstUpdateOff: emaOff,
    adamMomentsOff: momentsOff,
    firstEpochDistinct: distinct(),
    loaderReplayOff: replayed(),
  });
  const phase = o.progress.phase(o.label ? `train ${o.label}` : "train", until);
  if (startStep > 0) {
    phase.note(
      saved === from
        ? `continues the training from step ${startStep}`
        : `resumed from the checkpoint at step ${startStep}`,
    );
    await phase.tick(startStep);
  }
  try {
    await fit({
      params: o.net.params,
      optimizer,
      steps: until,
      startStep,
      losses,
      gradient: o.gradient,
      loss: objective(o, indices),
      onStep: async (step, loss) => {
        const after = step === 0 && initial ? o.net.params.read() : undefined;
        if (after) {
          firstStep = largestMove(initial!, after, o.optimizer);
          const { m, v } = optimizer.state();
          momentsOff = adamMomentsOff(m, v, o.optimizer.beta1, o.optimizer.beta2);
        }
        ema?.update();
        if (after && ema) emaOff = emaFirstUpdateOff(initial!, after, ema.read(), ema.rate);
        const done = step + 1;
        if (snapshotAt.has(done)) {
          snapshots.push({
            step: done,
            params: o.net.params.read(),
            ...(ema ? { ema: ema.read() } : {}),
          });
        }
        if (o.track && o.every && (done % o.every === 0 || done === steps)) {
          track.push({ step: done, ...o.track(done) });
        }
        if (slot && (done % slot.every === 0 || done === until)) {
          await slot.save(stateAt(done) as unknown as Record<string, unknown>);
        }
        await phase.tick(1, `loss ${loss.toPrecision(4)}`);
      },
    });
    return {
      losses: until < steps ? losses.subarray(0, until) : losses,
      batchesPerEpoch,
      ema,
      track,
      snapshots,
      firstStep,
      emaFirstUpdateOff: emaOff,
      adamMomentsOff: momentsOff,
      firstEpochDistinct: distinct(),
      loaderReplayOff: replayed(),
      lrLastRatio: learningRate(optimizer.options, until) / optimizer.options.lr,
      ...(o.segment ? { state: stateAt(until) } : {}),
    };
  } catch (e) {
    ema?.dispose();
    throw e;
  } finally {
    phase.done();
    optimizer.dispose();
  }
}

/**
 * A training's whole state after a step, as plain data (floats as base64): what a checkpoint saves
 * and a {@link TrainingSegment} continues from.
 */
export interface TrainingState {
  step: number;
  params: string;
  adam: { step: number; m: string; v: string };
  ema: { avg: string; updates: number } | null;
  streams: Record<string, StreamState>;
  /** The minibatch order: base64 of its Int32 indices (a JSON list in older checkpoints). */
  loader: { epoch: number; perm: string | number[] | null } | null;
  losses: string;
  track: Record<string, string | number>[];
  /** Absent in checkpoints written before snapshots. */
  snapshots?: { step: number; params: string; ema: string | null }[];
  firstStep: number;
  /** Absent in checkpoints written before these checks. */
  emaFirstUpdateOff?: number;
  adamMomentsOff?: number;
  firstEpochDistinct?: number;
  loaderReplayOff?: number;
}

/** max_i |after_i - before_i| / lr of the first update (see `Trained.firstStep`). */
function largestMove(before: Float32Array, after: Float32Array, o: AdamOptions): number {
  let m = 0;
  for (let i = 0; i < before.length; i++) m = Math.max(m, Math.abs(after[i] - before[i]));
  return m / o.lr;
}
