/**
 * Training a time-conditional epsilon network for an SDE by continuous-time DSM.
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import type { Sde } from "../noise/sde.ts";
import { continuousDsmLoss, drawTimes } from "../objectives/continuous_dsm.ts";
import type { Streams } from "../runtime/random.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Batching, type Trained, trainOnData } from "./train.ts";
import type { AdamOptions } from "../nn/adam.ts";

/** Options of {@link trainSde}. */
export interface TrainSdeOptions {
  net: Network;
  sde: Sde;
  x: Float32Array;
  dim: number;
  batching: Batching;
  optimizer: AdamOptions;
  /** Smallest training time (1e-5). */
  eps: number;
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
    loss: (w, x0, idx) => {
      const n = x0.shape[0];
      const t = drawTimes(n, o.eps, o.sde.T, draws);
      const z = tf.tensor2d(draws.normals(n * o.dim), [n, o.dim]);
      const extra = o.features?.(idx) ?? {};
      return continuousDsmLoss(
        (xt, tc) => o.net.apply(w, xt, { ...extra, t: tc }),
        o.sde,
        x0,
        t,
        z,
      );
    },
  });
}
