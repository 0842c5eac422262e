/**
 * The dense layer y = x W (+ b), with a gradient that materialises transposes.
 *
 * tfjs's default matMul gradient calls matMul with transposeA/transposeB, which on the WASM backend
 * is about 13x slower than a plain matMul. Here dx = dy transpose(W) and dW = transpose(x) dy use an
 * explicit `tf.transpose` (a cheap copy) followed by plain matMuls. The gradient is built from
 * differentiable ops, so second-order gradients (exact score matching, the likelihood's
 * divergence) still work.
 */
import * as tf from "@tensorflow/tfjs";

const matMulNoBias = tf.customGrad(
  ((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [
        tf.matMul(dy, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy),
      ],
    };
    // deno-lint-ignore no-explicit-any
  }) as any,
) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

const matMulBias = tf.customGrad(
  ((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, w), b),
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [
        tf.matMul(dy, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy),
        tf.sum(dy, 0),
      ],
    };
    // deno-lint-ignore no-explicit-any
  }) as any,
) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** y = x W + b (or x W without `b`), x: [N, in], W: [in, out], b: [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return b ? matMulBias(x, w, b) : matMulNoBias(x, w);
}
