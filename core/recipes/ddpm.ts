/**
 * Training an epsilon network with the DDPM objective (shuffled epochs as the seeds' loader, a time
 * index and noise per row), and forward-process draws for figures.
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import { epsFromNetwork } from "../models.ts";
import { ddpmLoss, drawTimesAndNoise } from "../objectives/ddpm.ts";
import { type DiscreteSchedule, marginalCoefficients, qSample } from "../noise/schedules.ts";
import type { Stream, Streams } from "../runtime/random.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Trained, trainOnData } from "./train.ts";

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
}

/** Train with Adam on shuffled epochs; returns the loss of every step. */
export function trainDdpm(o: TrainDdpmOptions): Promise<Trained> {
  const noise = o.streams.get("train");
  return trainOnData({
    net: o.net,
    x: o.x,
    dim: o.dim,
    batching: { kind: "epochs", batchSize: o.batchSize, epochs: o.epochs },
    optimizer: { lr: o.lr },
    ema: o.ema,
    streams: o.streams,
    progress: o.progress,
    checkpoints: o.checkpoints,
    loss: (w, x0, idx, step) => {
      const { t, eps } = drawTimesAndNoise(idx.length, o.dim, o.schedule.T, noise);
      const model = epsFromNetwork(o.net, w, o.schedule.T, o.features?.(idx, step));
      return ddpmLoss(model, o.schedule, x0, t, tf.tensor2d(eps, [idx.length, o.dim]));
    },
  });
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

/**
 * The forward process against its closed form: for every row of x0 and each time index in `ts`,
 * |x_t - (sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps)|, where x_t comes from the code that
 * training uses (`marginalCoefficients` + `qSample`) and the closed form is evaluated in float64
 * from the schedule. Returns the largest; float32 rounding keeps it near 1e-7.
 */
export function forwardProcessError(
  schedule: DiscreteSchedule,
  x0: Float32Array,
  dim: number,
  ts: number[],
  stream: Stream,
): number {
  const n = x0.length / dim;
  const t = Int32Array.from({ length: n * ts.length }, (_, i) => ts[Math.floor(i / n)]);
  const rows = new Float32Array(n * ts.length * dim);
  for (let k = 0; k < ts.length; k++) rows.set(x0, k * n * dim);
  const eps = stream.normals(rows.length);
  const xt = tf.tidy(() => {
    const c = marginalCoefficients(schedule, t);
    const e = tf.tensor2d(eps, [t.length, dim]);
    return qSample(tf.tensor2d(rows, [t.length, dim]), c.mean, c.std, e).dataSync();
  });
  let worst = 0;
  for (let i = 0; i < xt.length; i++) {
    const ab = schedule.alphaBar[t[Math.floor(i / dim)]];
    const exact = Math.sqrt(ab) * rows[i] + Math.sqrt(1 - ab) * eps[i];
    worst = Math.max(worst, Math.abs(xt[i] - exact));
  }
  return worst;
}
