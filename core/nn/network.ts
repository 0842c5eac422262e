/**
 * A network: its spec and its parameters, evaluated with either kind of weights (`weights.ts`):
 * named views op by op (`autodiff.ts`), or the flat buffer as one fused op (`fused.ts`).
 */
import * as tf from "@tensorflow/tfjs";
import { Params } from "./params.ts";
import type { Weights } from "./weights.ts";
import { type NetworkSpec, paramSpecs } from "./spec.ts";
import { forwardAutodiff, forwardJvp } from "./autodiff.ts";
import { fusedForward } from "./fused.ts";
import type { Stream } from "../runtime/random.ts";

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or a shared [1, width]),
 * with named views (`params.views()`: autodiff) or the fused op's weights (`params.fused()`).
 */
export function forward(
  spec: NetworkSpec,
  w: Weights,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D> = {},
): tf.Tensor2D {
  return w.kind === "flat"
    ? fusedForward(spec, w.flat, x, features)
    : forwardAutodiff(spec, w.tensors, x, features);
}

/** A network: its spec and its parameters. */
export class Network {
  readonly params: Params;

  /** Initialise from a stream (PyTorch's initialisers) or from saved values. */
  constructor(readonly spec: NetworkSpec, init: Stream | Float32Array) {
    this.params = new Params(paramSpecs(spec), init);
  }

  /** {@link forward} with the given weights (views of `params`, or tensors a gradient is taken against). */
  apply(w: Weights, x: tf.Tensor2D, features: Record<string, tf.Tensor2D> = {}): tf.Tensor2D {
    return forward(this.spec, w, x, features);
  }

  /** {@link forwardJvp}: the output and its directional derivatives along `tangents`. */
  jvp(
    w: Weights,
    x: tf.Tensor2D,
    tangents: tf.Tensor2D[],
    features: Record<string, tf.Tensor2D> = {},
  ): { value: tf.Tensor2D; tangents: tf.Tensor2D[] } {
    if (w.kind !== "views") {
      throw new Error("forward-mode derivatives need named weights (params.views())");
    }
    return forwardJvp(this.spec, w.tensors, x, tangents, features);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** One-hot rows [N, classes] for the given class indices. */
export function oneHot(indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const buf = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) buf[i * classes + indices[i]] = 1;
  return tf.tensor2d(buf, [indices.length, classes]);
}
