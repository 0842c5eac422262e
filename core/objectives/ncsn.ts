/**
 * Multi-noise denoising score matching (NCSN, Song & Ermon 2019), seed 000:
 *
 *   L(theta) = E_{sigma, x, z} lambda(sigma) |s_theta(x + sigma z, sigma) - (-z / sigma)|^2,
 *   lambda(sigma) = sigma^2,
 *
 * averaged over rows and coordinates as the seed does. The sigma^2 weighting makes every level
 * contribute O(1) (|target| ~ 1/sigma). sigma is drawn per row from a geometric list or
 * log-uniformly in [sigmaMin, sigmaMax].
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import type { Stream } from "../runtime/random.ts";

/** How the noise level of each training row is drawn. */
export type SigmaDraw =
  /** log sigma uniform on [log min, log max] (seed 000). */
  | { kind: "logUniform"; min: number; max: number }
  /** Uniformly one of the given levels (NCSN's geometric list). */
  | { kind: "list"; sigmas: ArrayLike<number> };

/** One noise level per row, as an [n, 1] column of values. */
export function drawSigmas(n: number, d: SigmaDraw, stream: Stream): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = d.kind === "logUniform"
      ? Math.exp(Math.log(d.min) + stream.uniform() * (Math.log(d.max) - Math.log(d.min)))
      : d.sigmas[stream.int(d.sigmas.length)];
  }
  return out;
}

/** The NCSN loss of `score` on data rows x0 [N, d], noise z [N, d], levels sigma [N, 1]. */
export function ncsnLoss(
  score: ScoreFn,
  x0: tf.Tensor2D,
  sigma: tf.Tensor2D,
  z: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const pred = score(tf.add(x0, tf.mul(sigma, z)) as tf.Tensor2D, sigma);
    const target = tf.neg(tf.div(z, sigma));
    const lambda = tf.square(sigma);
    return tf.mean(tf.mul(lambda, tf.square(tf.sub(pred, target)))) as tf.Scalar;
  });
}
