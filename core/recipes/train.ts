/**
 * Training a network on a data set: minibatches drawn the way a seed draws them, Adam or AdamW,
 * optional EMA of the weights, progress, and checkpoint callbacks (a metric tracked during
 * training). The loss is the objective's; this file only moves data and steps.
 */
import * as tf from "@tensorflow/tfjs";
import { gatherRows, Minibatches } from "../data/loader.ts";
import type { Network } from "../nn/network.ts";
import { Adam, type AdamOptions } from "../nn/adam.ts";
import { Ema } from "../nn/ema.ts";
import { fit } from "../nn/train.ts";
import type { Weights } from "../nn/params.ts";
import type { Streams } from "../runtime/random.ts";
import type { Progress } from "../harness/progress.ts";

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
  /** The objective on the minibatch rows `x0` (indices `idx`) at `step`. */
  loss: (w: Weights, x0: tf.Tensor2D, idx: Int32Array, step: number) => tf.Scalar;
  /** Call `onCheckpoint` every this many steps (and after the last). */
  every?: number;
  onCheckpoint?: (step: number) => void;
  /** Suffix of the progress phase name ("train <label>"). */
  label?: string;
}

/** What training returns. */
export interface Trained {
  /** Loss of every step. */
  losses: Float32Array;
  /** Steps per epoch ("epochs" batching) or 1. */
  batchesPerEpoch: number;
  /** The averaged weights when `ema` was set (the caller disposes). */
  ema?: Ema;
}

/** Number of optimizer steps of a batching scheme on n points. */
export function stepsOf(b: Batching, n: number): number {
  return b.kind === "epochs" ? b.epochs * Math.floor(n / b.batchSize) : b.steps;
}

/** Train `net` on the data; see {@link TrainOnDataOptions}. */
export async function trainOnData(o: TrainOnDataOptions): Promise<Trained> {
  const n = o.x.length / o.dim;
  const b = o.batching;
  let indices: (step: number) => Int32Array;
  let batchesPerEpoch = 1;
  if (b.kind === "epochs") {
    const loader = new Minibatches(n, b.batchSize, o.streams.get("shuffle"));
    batchesPerEpoch = loader.batchesPerEpoch;
    indices = (step) => loader.at(step);
  } else {
    const draws = o.streams.get("batches");
    indices = () => Int32Array.from({ length: b.batchSize }, () => draws.int(n));
  }
  const steps = stepsOf(b, n);
  const optimizer = new Adam(o.net.params, o.optimizer);
  const ema = o.ema !== undefined ? new Ema(o.net.params, o.ema) : undefined;
  const phase = o.progress.phase(o.label ? `train ${o.label}` : "train", steps);
  try {
    const losses = await fit({
      params: o.net.params,
      optimizer,
      steps,
      loss: (w, step) => {
        const idx = indices(step);
        return o.loss(w, tf.tensor2d(gatherRows(o.x, o.dim, idx), [idx.length, o.dim]), idx, step);
      },
      onStep: (step, loss) => {
        ema?.update();
        if (o.onCheckpoint && o.every && ((step + 1) % o.every === 0 || step + 1 === steps)) {
          o.onCheckpoint(step + 1);
        }
        return phase.tick(1, `loss ${loss.toPrecision(4)}`);
      },
    });
    return { losses, batchesPerEpoch, ema };
  } catch (e) {
    ema?.dispose();
    throw e;
  } finally {
    phase.done();
    optimizer.dispose();
  }
}

/** Mean loss of each block of `size` steps (per epoch, or per display bucket). */
export function blockMeans(losses: Float32Array, size: number): number[] {
  const out: number[] = [];
  for (let e = 0; e * size < losses.length; e++) {
    let s = 0;
    const m = Math.min(size, losses.length - e * size);
    for (let i = 0; i < m; i++) s += losses[e * size + i];
    out.push(s / m);
  }
  return out;
}
