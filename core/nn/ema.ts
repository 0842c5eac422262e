/**
 * Exponential moving average of the weights (Song & Ermon 2020, "Improved techniques"):
 * theta_ema <- m theta_ema + (1 - m) theta after every optimizer step; samples use theta_ema.
 */
import * as tf from "@tensorflow/tfjs";
import { type Params, variableOf } from "./params.ts";

/** The EMA of a flat parameter buffer. */
export class Ema {
  readonly #avg: tf.Variable<tf.Rank.R1>;

  constructor(readonly params: Params, readonly rate: number) {
    this.#avg = variableOf(tf.clone(params.flat), false);
  }

  /** Fold the current weights into the average. */
  update(): void {
    tf.tidy(() =>
      this.#avg.assign(
        tf.add(tf.mul(this.#avg, this.rate), tf.mul(this.params.flat, 1 - this.rate)),
      )
    );
  }

  /** A copy of the averaged weights. */
  read(): Float32Array {
    return this.#avg.dataSync() as Float32Array;
  }

  /** Restore saved averaged weights (checkpoints). */
  write(values: Float32Array): void {
    tf.tidy(() => this.#avg.assign(tf.tensor1d(values)));
  }

  dispose(): void {
    this.#avg.dispose();
  }
}
