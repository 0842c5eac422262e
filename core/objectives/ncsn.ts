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
import { floats } from "../runtime/arrays.ts";
import type * as tf from "@tensorflow/tfjs";
import { perturbRows } from "../noise/schedules.ts";
import type { ScoreFn } from "../models.ts";
import type { Stream } from "../runtime/random.ts";
import {
  modelLoss,
  type RegressionBatch,
  type RegressionTarget,
  valuesOf,
} from "../nn/regression.ts";

const f32 = Math.fround;

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

/**
 * What the NCSN loss regresses on data rows x0 with levels sigma (one per row) and noise z: the
 * input x0 + sigma z, the target -z / sigma, each row's squares weighted by lambda = sigma^2
 * (float32 operations in the order of the seed's tensor formula).
 */
export function ncsnTarget(
  x0: Float32Array,
  sigma: Float32Array,
  z: Float32Array,
): RegressionTarget {
  const dim = x0.length / sigma.length;
  const row = (i: number) => sigma[Math.floor(i / dim)];
  return {
    x: perturbRows(new Float32Array(sigma.length).fill(1), sigma, x0, z),
    dim,
    target: floats(z.length, (i) => -f32(z[i] / row(i))),
    rowWeights: floats(sigma.length, (i) => sigma[i] * sigma[i]),
  };
}

/** The NCSN loss of `score` on data rows x0 [N, d], noise z [N, d], levels sigma [N, 1]. */
export function ncsnLoss(
  score: ScoreFn,
  x0: tf.Tensor2D,
  sigma: tf.Tensor2D,
  z: tf.Tensor2D,
): tf.Scalar {
  return modelLoss(ncsnTarget(valuesOf(x0), valuesOf(sigma), valuesOf(z)), (x) => score(x, sigma));
}

/**
 * {@link ncsnLoss} of a network fed `features` (its noise-level input, computed by the caller from
 * sigma) as a regression batch (`core/nn/regression.ts`).
 */
export function ncsnRegression(
  x0: Float32Array,
  sigma: Float32Array,
  z: Float32Array,
  features: Record<string, tf.Tensor2D>,
): RegressionBatch {
  return { ...ncsnTarget(x0, sigma, z), features };
}
