/**
 * Adam (and AdamW) on a flat parameter buffer: one update for all weights.
 *
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,
 *   p <- p - lr wd p   (AdamW's decoupled weight decay, wd = 0 for Adam),
 *   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * which is PyTorch's formulation (torch.optim.Adam / AdamW).
 */
import * as tf from "@tensorflow/tfjs";
import { type Params, variableOf } from "./params.ts";

/** Adam's hyper-parameters (PyTorch defaults). */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); PyTorch's AdamW defaults to 0.01, Adam to 0. */
  weightDecay?: number;
}

/** Optimizer state, for checkpoints. */
export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** Adam on one flat parameter buffer. */
export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #step = 0;
  readonly #m: tf.Variable<tf.Rank.R1>;
  readonly #v: tf.Variable<tf.Rank.R1>;

  constructor(readonly params: Params, options: AdamOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.#m = variableOf(tf.zeros([params.size]), false);
    this.#v = variableOf(tf.zeros([params.size]), false);
  }

  /** Number of updates taken. */
  get step(): number {
    return this.#step;
  }

  /** One update with the flat gradient `g` (same layout as the parameters). */
  update(g: tf.Tensor1D): void {
    this.#step++;
    const t = this.#step;
    const { beta1: b1, beta2: b2 } = this;
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.#m, b1), tf.mul(g, 1 - b1)) as tf.Tensor1D;
      const v = tf.add(tf.mul(this.#v, b2), tf.mul(tf.square(g), 1 - b2)) as tf.Tensor1D;
      this.#m.assign(m);
      this.#v.assign(v);
      const p = this.weightDecay > 0
        ? tf.mul(this.params.flat, 1 - this.lr * this.weightDecay)
        : this.params.flat;
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** t)), this.eps);
      this.params.flat.assign(tf.sub(p, tf.div(tf.mul(m, this.lr / (1 - b1 ** t)), denom)));
    });
  }

  /** A copy of the state (step and moments). */
  state(): AdamState {
    return {
      step: this.#step,
      m: this.#m.dataSync() as Float32Array,
      v: this.#v.dataSync() as Float32Array,
    };
  }

  /** Restore a saved state. */
  load(s: AdamState): void {
    this.#step = s.step;
    tf.tidy(() => {
      this.#m.assign(tf.tensor1d(s.m));
      this.#v.assign(tf.tensor1d(s.v));
    });
  }

  dispose(): void {
    tf.dispose([this.#m, this.#v]);
  }
}
