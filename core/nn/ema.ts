/**
 * Exponential moving average of the weights (Song & Ermon 2020, "Improved techniques"):
 * theta_ema <- m_n theta_ema + (1 - m_n) theta after the n-th optimizer step; samples use theta_ema.
 * The rate warms up as TensorFlow's ExponentialMovingAverage does, m_n = min(m, (1 + n) / (10 + n)),
 * so that a short run is not an average dominated by the initial weights.
 */
import * as tf from "@tensorflow/tfjs";
import { type Params, variableOf } from "./params.ts";
import { exclusive, kernels, ptr } from "../kernels/kernels.ts";

/** The EMA of a flat parameter buffer. */
export class Ema {
  readonly #avg: tf.Variable<tf.Rank.R1>;
  #updates = 0;

  constructor(readonly params: Params, readonly rate: number) {
    this.#avg = variableOf(tf.clone(params.flat), false);
  }

  /**
   * Fold the current weights into the average: avg <- fl(fl(avg m) + fl(w (1 - m))) in float32,
   * one kernel call in place (tfjs's mul, mul, add would be four ops: the same bits).
   */
  update(): void {
    const m = Math.min(this.rate, (1 + this.#updates) / (10 + this.#updates));
    this.#updates++;
    const avg = this.#avg;
    // written in place: first make sure no other tensor shares its memory (it starts as a clone)
    if (!exclusive(avg)) tf.tidy(() => avg.assign(tf.add(avg, 0)));
    kernels().emaUpdate(ptr(avg), ptr(this.params.flat), this.params.size, m, 1 - m);
  }

  /** Number of updates folded in (checkpoints). */
  get updates(): number {
    return this.#updates;
  }

  /** A copy of the averaged weights. */
  read(): Float32Array {
    return this.#avg.dataSync() as Float32Array;
  }

  /** Restore saved averaged weights and their update count (checkpoints). */
  write(values: Float32Array, updates: number = this.#updates): void {
    tf.tidy(() => this.#avg.assign(tf.tensor1d(values)));
    this.#updates = updates;
  }

  dispose(): void {
    this.#avg.dispose();
  }
}
