/**
 * A network: its spec and its parameters, evaluated with either kind of weights (`weights.ts`):
 * named views op by op (`autodiff.ts`), or the flat buffer as one fused op (`fused.ts`).
 */
import type * as tf from "@tensorflow/tfjs";
import { Params } from "./params.ts";
import type { Weights } from "./weights.ts";
import { type NetworkSpec, paramSpecs } from "./spec.ts";
import { forwardAutodiff, forwardJvp } from "./autodiff.ts";
import { fusedForward } from "./fused.ts";
import { fusedJvp } from "./fused_jvp.ts";
import type { Stream } from "../runtime/random.ts";

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or a shared [1, width]),
 * with named views (`params.views()`: autodiff) or the fused op's weights (`params.fused()`).
 * `shared` names the features given as one row for the whole batch (a sampler's t): they are
 * summed as shared rows even when x has one row, where a row of its own would look the same, so a
 * sample's bits do not depend on the size of its batch.
 */
export function forward(
  spec: NetworkSpec,
  w: Weights,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D> = {},
  shared: readonly string[] = [],
): tf.Tensor2D {
  return w.kind === "flat"
    ? fusedForward(spec, w.flat, x, features, shared)
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
  apply(
    w: Weights,
    x: tf.Tensor2D,
    features: Record<string, tf.Tensor2D> = {},
    shared: readonly string[] = [],
  ): tf.Tensor2D {
    return forward(this.spec, w, x, features, shared);
  }

  /**
   * The output and its directional derivatives along `tangents`: one fused op of the flat weights
   * (`fusedJvp`, first order in the weights; networks without features) or differentiable ops of
   * the named views (`forwardJvp`).
   */
  jvp(
    w: Weights,
    x: tf.Tensor2D,
    tangents: tf.Tensor2D[],
    features: Record<string, tf.Tensor2D> = {},
  ): { value: tf.Tensor2D; tangents: tf.Tensor2D[] } {
    if (w.kind === "flat") {
      if (Object.keys(features).length) {
        throw new Error("the fused forward-mode op takes no features: use params.views()");
      }
      return fusedJvp(this.spec, w.flat, x, tangents);
    }
    return forwardJvp(this.spec, w.tensors, x, tangents, features);
  }

  dispose(): void {
    this.params.dispose();
  }
}

export { oneHot } from "./one_hot.ts";
