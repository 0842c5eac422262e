/**
 * Model parameters as one flat buffer.
 *
 * All weights of a model live in a single tf.Variable; named views (slices reshaped to each weight's
 * shape) feed the forward pass, and the optimizer updates the whole buffer with one set of ops. This
 * is the real state of a model: everything else is a pure function of it.
 */
import * as tf from "@tensorflow/tfjs";
import type { Stream } from "../runtime/random.ts";
import { flatWeights, viewWeights, type Weights } from "./weights.ts";

/** How a weight is initialised. */
export type Init =
  | { kind: "uniform"; bound: number }
  | { kind: "normal"; std: number }
  | { kind: "zeros" };

/** One named weight: its shape and initialiser. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
}

/** Where a named weight sits in the flat buffer. */
export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** A model's parameters: one flat variable and the layout of its named weights. */
export class Params {
  readonly layout: ParamSlot[];
  readonly size: number;
  readonly flat: tf.Variable<tf.Rank.R1>;

  /** Allocate and initialise from `stream` (weights drawn in layout order), or from `values`. */
  constructor(specs: ParamSpec[], init: Stream | Float32Array) {
    let offset = 0;
    this.layout = specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const slot = { name: s.name, shape: s.shape, offset, size };
      offset += size;
      return slot;
    });
    this.size = offset;
    const values = init instanceof Float32Array ? init : initialValues(specs, this.size, init);
    if (values.length !== this.size) {
      throw new RangeError(`expected ${this.size} parameter values, got ${values.length}`);
    }
    this.flat = variableOf(tf.tensor1d(values), true);
  }

  /**
   * Named views of the flat buffer, for autodiff at any order (the caller disposes them, or runs
   * inside tf.tidy).
   */
  views(): Weights {
    return viewWeights(this.split(this.flat));
  }

  /**
   * Weights for the fused network op (`core/nn/fused.ts`): fewer, larger ops, gradients of first
   * order only. A handle on the flat buffer that the caller disposes like views (the buffer stays).
   */
  fused(): Weights {
    return flatWeights(tf.clone(this.flat));
  }

  /** Split any flat vector of this layout (parameters or a gradient) into named tensors. */
  split(flat: tf.Tensor1D): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const s of this.layout) {
        out[s.name] = tf.reshape(tf.slice(flat, s.offset, s.size), s.shape);
      }
      return out;
    });
  }

  /** A copy of the current values. */
  read(): Float32Array {
    return this.flat.dataSync() as Float32Array;
  }

  /** Overwrite the values (checkpoint restore, weight averaging). */
  write(values: Float32Array): void {
    if (values.length !== this.size) {
      throw new RangeError(`expected ${this.size} parameter values, got ${values.length}`);
    }
    tf.tidy(() => this.flat.assign(tf.tensor1d(values)));
  }

  dispose(): void {
    this.flat.dispose();
  }
}

function initialValues(specs: ParamSpec[], size: number, stream: Stream): Float32Array {
  const values = new Float32Array(size);
  let i = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    for (let j = 0; j < n; j++, i++) {
      values[i] = s.init.kind === "uniform"
        ? (2 * stream.uniform() - 1) * s.init.bound
        : s.init.kind === "normal"
        ? s.init.std * stream.normal()
        : 0;
    }
  }
  return values;
}

/** A variable holding `initial`'s values; `initial` itself is disposed (tf.variable keeps it alive). */
export function variableOf<R extends tf.Rank>(
  initial: tf.Tensor<R>,
  trainable: boolean,
): tf.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
