/**
 * Adam (and AdamW) on a flat parameter buffer: one update for all weights.
 *
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,
 *   p <- p - lr wd p   (AdamW's decoupled weight decay, wd = 0 for Adam),
 *   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * which is PyTorch's formulation (torch.optim.Adam / AdamW), computed by one kernel call
 * (`core/kernels/`) on the buffers where tfjs keeps them.
 */
import * as tf from "@tensorflow/tfjs";
import type { Params } from "./params.ts";
import { exclusive, heapView, kernels, ptr } from "../kernels/kernels.ts";

/** Adam's hyper-parameters (PyTorch defaults). */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); PyTorch's AdamW defaults to 0.01, Adam to 0. */
  weightDecay?: number;
  /**
   * Cosine decay of the rate over `steps` updates (lr_t = lr (1 + cos(pi min(t, steps) / steps)) / 2,
   * as torch's CosineAnnealingLR with eta_min = 0); constant when absent.
   */
  cosineSteps?: number;
}

/** The rate of update t (1-based) under `o`'s schedule. */
export function learningRate(o: AdamOptions, t: number): number {
  if (!o.cosineSteps) return o.lr;
  const u = Math.min(t - 1, o.cosineSteps) / o.cosineSteps;
  return (o.lr * (1 + Math.cos(Math.PI * u))) / 2;
}

/** Optimizer state, for checkpoints. */
export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** Adam on one flat parameter buffer, updated in place by one kernel call. */
export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #step = 0;
  readonly #m: tf.Tensor1D;
  readonly #v: tf.Tensor1D;

  constructor(readonly params: Params, readonly options: AdamOptions) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.#m = tf.keep(tf.zeros([params.size]));
    this.#v = tf.keep(tf.zeros([params.size]));
  }

  /** The rate of the next update (see {@link learningRate}). */
  get lr(): number {
    return learningRate(this.options, this.#step + 1);
  }

  /** Number of updates taken. */
  get step(): number {
    return this.#step;
  }

  /** One update with the flat gradient `g` (same layout as the parameters). */
  update(g: tf.Tensor1D): void {
    const lr = this.lr;
    this.#step++;
    const t = this.#step;
    const flat = this.params.flat;
    // The update writes the parameters in place: first make sure no other tensor shares their
    // memory (a clone taken earlier, an EMA started from them).
    if (!exclusive(flat)) tf.tidy(() => flat.assign(tf.add(flat, 0)));
    kernels().adam(
      ptr(flat),
      ptr(g),
      ptr(this.#m),
      ptr(this.#v),
      this.params.size,
      this.beta1,
      1 - this.beta1,
      this.beta2,
      1 - this.beta2,
      lr / (1 - this.beta1 ** t),
      Math.sqrt(1 - this.beta2 ** t),
      this.eps,
      1 - lr * this.weightDecay,
      this.weightDecay > 0 ? 1 : 0,
    );
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
    heapView(this.#m).set(s.m);
    heapView(this.#v).set(s.v);
  }

  dispose(): void {
    tf.dispose([this.#m, this.#v]);
  }
}
