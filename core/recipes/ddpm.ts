/**
 * Training an epsilon network with the DDPM objective on a data set: shuffled minibatches
 * (drop_last, as the seeds' loader), a time index and noise per row, Adam, and progress.
 */
import * as tf from "@tensorflow/tfjs";
import { gatherRows, Minibatches } from "../data/loader.ts";
import type { Network } from "../nn/network.ts";
import { Adam } from "../nn/adam.ts";
import { fit } from "../nn/train.ts";
import { epsFromNetwork } from "../models.ts";
import { ddpmLoss, drawTimesAndNoise } from "../objectives/ddpm.ts";
import { type DiscreteSchedule, marginalCoefficients, qSample } from "../noise/schedules.ts";
import type { Stream, Streams } from "../runtime/random.ts";
import type { Progress } from "../harness/progress.ts";

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
  /** Conditioning inputs of the minibatch rows `idx` (conditional models), besides t. */
  features?: (idx: Int32Array, step: number) => Record<string, tf.Tensor2D>;
}

/** Train; returns the loss of every step and the number of batches per epoch. */
export async function trainDdpm(
  o: TrainDdpmOptions,
): Promise<{ losses: Float32Array; batchesPerEpoch: number }> {
  const n = o.x.length / o.dim;
  const batches = new Minibatches(n, o.batchSize, o.streams.get("shuffle"));
  const noise = o.streams.get("train");
  const optimizer = new Adam(o.net.params, { lr: o.lr });
  const steps = o.epochs * batches.batchesPerEpoch;
  const phase = o.progress.phase("train", steps);
  try {
    const losses = await fit({
      params: o.net.params,
      optimizer,
      steps,
      loss: (w, step) => {
        const idx = batches.at(step);
        const x0 = tf.tensor2d(gatherRows(o.x, o.dim, idx), [idx.length, o.dim]);
        const { t, eps } = drawTimesAndNoise(idx.length, o.dim, o.schedule.T, noise);
        const model = epsFromNetwork(o.net, w, o.schedule.T, o.features?.(idx, step));
        return ddpmLoss(model, o.schedule, x0, t, tf.tensor2d(eps, [idx.length, o.dim]));
      },
      onStep: (_, loss) => phase.tick(1, `loss ${loss.toFixed(4)}`),
    });
    return { losses, batchesPerEpoch: batches.batchesPerEpoch };
  } finally {
    phase.done();
    optimizer.dispose();
  }
}

/** Mean loss of each epoch (the loss curve). */
export function epochMeans(losses: Float32Array, batchesPerEpoch: number): number[] {
  const out: number[] = [];
  for (let e = 0; e * batchesPerEpoch < losses.length; e++) {
    let s = 0;
    for (let i = 0; i < batchesPerEpoch; i++) s += losses[e * batchesPerEpoch + i];
    out.push(s / batchesPerEpoch);
  }
  return out;
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
  return tf.tidy(() => {
    const c = marginalCoefficients(schedule, [t]);
    const eps = tf.tensor2d(stream.normals(n * dim), [n, dim]);
    return qSample(tf.tensor2d(x0, [n, dim]), c.mean, c.std, eps).dataSync() as Float32Array;
  });
}
