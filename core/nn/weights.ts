/**
 * The weights a network is evaluated with, in one of two kinds: named views of the flat parameter
 * buffer (op-by-op autodiff, at any order: exact and sliced score matching need it), or the flat
 * buffer itself (the fused op of `fused.ts`: first-order gradients, one op).
 */
import type * as tf from "@tensorflow/tfjs";

/** Named tensors, one per weight ("h1.w", "in.b", ...), or the flat buffer. */
export type Weights =
  | { readonly kind: "views"; readonly tensors: Readonly<Record<string, tf.Tensor>> }
  | { readonly kind: "flat"; readonly flat: tf.Tensor1D };

/** Views of named weight tensors. */
export function viewWeights(tensors: Record<string, tf.Tensor>): Weights {
  return { kind: "views", tensors };
}

/** The flat buffer (or a tensor a gradient is taken against) for the fused op. */
export function flatWeights(flat: tf.Tensor1D): Weights {
  return { kind: "flat", flat };
}
