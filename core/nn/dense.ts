/**
 * The dense layer y = x W (+ b), with a gradient that materialises transposes.
 *
 * tfjs's default matMul gradient calls matMul with transposeA/transposeB, which on the WASM backend
 * is about 13x slower than a plain matMul. {@link matMul} instead computes dA = dY transpose(B) and
 * dB = transpose(A) dY with an explicit `tf.transpose` (a cheap copy) and plain products, and its
 * gradient is built from itself: second-order gradients (exact and sliced score matching, the
 * likelihood's divergence inside a training loss) stay on the fast path too.
 */
import * as tf from "@tensorflow/tfjs";

/** A B for 2-D tensors, with a fast gradient at every order (see the module doc). */
export const matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  ((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor2D, [as, bs]: tf.Tensor2D[]) => [
        matMul(dy, tf.transpose(bs)),
        matMul(tf.transpose(as), dy),
      ],
    };
    // deno-lint-ignore no-explicit-any
  }) as any,
) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** y = x W + b (or x W without `b`), x: [N, in], W: [in, out], b: [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = matMul(x, w);
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}
