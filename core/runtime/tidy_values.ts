/**
 * Values of tensors made inside a `tf.tidy`, read after it ends.
 *
 * `tf.tidy` walks every key of what its function returns to find tensors to keep, so a typed array
 * returned from it is walked element by element (3.7-10 ms for 20,000 floats here, against
 * 0.03-0.15 ms to read them after; 0.43 s of the quick profile's forward-chain). Returning the
 * tensors instead and reading them outside costs one step each.
 */
import * as tf from "@tensorflow/tfjs";

/** The values of the tensor `fn` returns (made in a tidy), as float32; the tensor is disposed. */
export function tidyValues(fn: () => tf.Tensor): Float32Array;
/** The values of each tensor `fn` returns (made in a tidy), as float32; the tensors are disposed. */
export function tidyValues(fn: () => tf.Tensor[]): Float32Array[];
export function tidyValues(fn: () => tf.Tensor | tf.Tensor[]): Float32Array | Float32Array[] {
  const kept = tf.tidy(fn);
  try {
    return Array.isArray(kept)
      ? kept.map((t) => t.dataSync() as Float32Array)
      : kept.dataSync() as Float32Array;
  } finally {
    tf.dispose(kept);
  }
}
