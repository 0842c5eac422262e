/**
 * Classifier-free guidance (Ho & Salimans 2022). Training drops the condition (replaces it by the
 * null token, here the all-zero one-hot row) with probability p_uncond, so one network learns both
 * eps(x, t, y) and eps(x, t, null). Sampling combines them:
 *
 *   eps_w(x, t, y) = (1 + w) eps(x, t, y) - w eps(x, t, null),
 *
 * w = 0 is plain conditional sampling; larger w trades diversity for fidelity to y.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";
import type { Stream } from "../runtime/random.ts";

/** One-hot rows for `labels`, each replaced by the null (all-zero) row with probability pUncond. */
export function oneHotWithDropout(
  labels: ArrayLike<number>,
  classes: number,
  pUncond: number,
  stream: Stream,
): tf.Tensor2D {
  const buf = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    if (stream.uniform() >= pUncond) buf[i * classes + labels[i]] = 1;
  }
  return tf.tensor2d(buf, [labels.length, classes]);
}

/** The guided model (1 + w) eps_cond - w eps_uncond. */
export function classifierFreeGuidance(cond: EpsModel, uncond: EpsModel, w: number): EpsModel {
  if (w === 0) return cond;
  return (x, t) =>
    tf.tidy(() => tf.sub(tf.mul(1 + w, cond(x, t)), tf.mul(w, uncond(x, t))) as tf.Tensor2D);
}
