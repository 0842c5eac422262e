/**
 * Continuous-time denoising score matching for an SDE (Song et al. 2021):
 *
 *   L = E_{t ~ U[tMin, T], x0, z} lambda(t) |s_theta(x_t, t) + z / std(t)|^2,
 *   x_t = mean(t) x0 + std(t) z,   lambda(t) = std(t)^2,
 *
 * which with s_theta = -eps_theta / std(t) is epsilon prediction, |eps_theta(x_t, t) - z|^2; averaged
 * over rows and coordinates.
 */
import * as tf from "@tensorflow/tfjs";
import type { Sde } from "../noise/sde.ts";
import type { Stream } from "../runtime/random.ts";
import { meanSquaredError } from "../nn/mse.ts";

/** Times t uniform on [tMin, T] for n rows. */
export function drawTimes(n: number, tMin: number, T: number, stream: Stream): Float32Array {
  return Float32Array.from({ length: n }, () => tMin + (T - tMin) * stream.uniform());
}

/** The loss of an epsilon network (fed x_t and a [N, 1] column of t) on data rows x0, times t, noise z. */
export function continuousDsmLoss(
  eps: (xt: tf.Tensor2D, t: tf.Tensor2D) => tf.Tensor2D,
  sde: Sde,
  x0: tf.Tensor2D,
  t: Float32Array,
  z: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const n = t.length;
    const mean = tf.tensor2d(Float32Array.from(t, (ti) => sde.meanCoef(ti)), [n, 1]);
    const std = tf.tensor2d(Float32Array.from(t, (ti) => sde.std(ti)), [n, 1]);
    const xt = tf.add(tf.mul(mean, x0), tf.mul(std, z)) as tf.Tensor2D;
    return meanSquaredError(eps(xt, tf.tensor2d(t, [n, 1])), z);
  });
}
