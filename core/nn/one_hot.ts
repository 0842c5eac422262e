/**
 * One-hot rows, the input of a learned embedding (a DDPM's time index, a class label). A tensor
 * made by {@link oneHot} remembers its indices ({@link oneHotIndices}), so the fused op reads row
 * t of the table instead of scanning the row's zeros: the same madds on the same values, so the
 * same bits (tests/nn_test.ts).
 */
import type * as tf from "@tensorflow/tfjs";
import { allocate, heapView, kernels, ptr } from "../kernels/kernels.ts";

/** The indices of each tensor made by {@link oneHot}, by its data (tensors are immutable). */
const indicesOf = new WeakMap<object, Int32Array>();

/**
 * One-hot rows [N, classes] for the given class indices, written in place on the heap (no
 * intermediate array and upload: a learned time embedding takes one per training step).
 */
export function oneHot(indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const n = indices.length;
  const out = allocate([n, classes]);
  kernels().zero(ptr(out), n * classes);
  const v = heapView(out);
  const kept = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    if (!(Number.isInteger(k) && k >= 0 && k < classes)) {
      out.dispose();
      throw new RangeError(`oneHot: index ${k} at row ${i} is not an integer in [0, ${classes})`);
    }
    v[i * classes + k] = 1;
    kept[i] = k;
  }
  indicesOf.set(out.dataId, kept);
  return out as tf.Tensor2D;
}

/** The class index of each row of `rows` if {@link oneHot} made it (or shares its data), else null. */
export function oneHotIndices(rows: tf.Tensor): Int32Array | null {
  return indicesOf.get(rows.dataId) ?? null;
}
