/**
 * The mean squared error of a prediction against data, as one differentiable op:
 *
 *   L = (1 / N) sum_i (pred_i - target_i)^2,   dL/dpred_i = (dy / N) * (2 (pred_i - target_i)),
 *
 * with the bits of tfjs's `mean(squaredDifference(pred, target))` on the wasm backend: each
 * difference, square and partial sum rounded to float32 in index order, the sum divided by N
 * (its Mean kernel), and the gradient in the order of its Mean and SquaredDifference gradients.
 * On the wasm backend those are ~8 ops of ~10 us each around a network of a few hundred rows;
 * here the float32 arithmetic runs in JavaScript (`Math.fround` after each operation of float32
 * values is float32 arithmetic: a double holds their exact products and sums, and rounding twice
 * through double is harmless for +, - and *). The target is data: no gradient flows into it.
 */
import * as tf from "@tensorflow/tfjs";

const f32 = Math.fround;

/** mean((a - b)^2) over every element, in float32 arithmetic (the op's value). */
export function meanSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = f32(a[i] - b[i]);
    sum = f32(sum + f32(d * d));
  }
  return f32(sum / n);
}

/** d/da of dy * mean((a - b)^2), in float32 arithmetic (the op's gradient). */
export function meanSquareGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dy: number,
): Float32Array {
  const n = a.length;
  const dx = f32(f32(dy) / n);
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = dx * f32(2 * f32(a[i] - b[i]));
  return g;
}

/** mean((pred - target)^2) over every element, differentiable in `pred` (same shapes). */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (pred.shape.join() !== target.shape.join()) {
    throw new RangeError(`meanSquaredError: shapes [${pred.shape}] and [${target.shape}] differ`);
  }
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = inputs[0] as tf.Tensor;
    const a = p.dataSync() as Float32Array;
    const b = target.dataSync() as Float32Array;
    return {
      value: tf.scalar(meanSquare(a, b)),
      gradFunc: (dy: tf.Tensor) => tf.tensor(meanSquareGradient(a, b, dy.dataSync()[0]), p.shape),
    };
  });
  return op(pred) as tf.Scalar;
}
