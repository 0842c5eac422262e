/**
 * Unadjusted Langevin dynamics (ULA) on a fixed score, in the seeds' discretisations:
 *
 *   "half": x <- x + (h/2) s(x) + sqrt(h) z      (Roberts & Tweedie; seeds 000/002's annealed algorithm)
 *   "full": x <- x + h s(x) + sqrt(2 h) z         (Euler-Maruyama of dx = s dt + sqrt(2) dW; seeds 002/003)
 *   "tempered": x <- x + (h/2) s(x) + sqrt(2 h) z (as seeds 001/003 print it: the drift of "half" with
 *               the noise of "full"; it discretises dx = (1/2) s dt + sqrt(2) dW, whose stationary law
 *               is p^{1/2}, temperature 2, not p)
 *
 * "half" and "full" are the same chain with the step rescaled: "full" at h is "half" at 2 h. ULA is
 * biased at finite h (no Metropolis correction; see `mala.ts`) and mixes between well-separated
 * modes only through rare noise excursions.
 */
import * as tf from "@tensorflow/tfjs";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";

/** The discretisation of a Langevin step (see the module doc). */
export type LangevinForm = "half" | "full" | "tempered";

/** One Langevin step from x with score s(x) and noise z. */
export function langevinStep(
  x: tf.Tensor2D,
  s: tf.Tensor2D,
  stepSize: number,
  z: tf.Tensor2D,
  form: LangevinForm,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [drift, diffusion] = form === "half"
      ? [stepSize / 2, Math.sqrt(stepSize)]
      : form === "full"
      ? [stepSize, Math.sqrt(2 * stepSize)]
      : [stepSize / 2, Math.sqrt(2 * stepSize)];
    return tf.add(tf.add(x, tf.mul(drift, s)), tf.mul(diffusion, z)) as tf.Tensor2D;
  });
}

/** Options of {@link langevin}. */
export interface LangevinOptions {
  steps: number;
  stepSize: number;
  form: LangevinForm;
  /** Step counts after which the state is kept (trajectory key = steps taken). */
  keep?: number[];
}

/** Run `steps` Langevin steps from x0 (not consumed) on a fixed score. */
export function langevin(
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  x0: tf.Tensor2D,
  noise: SampleNoise,
  o: LangevinOptions,
): SamplerResult {
  const keep = new Set(o.keep ?? []);
  const trajectory = new Map<number, Float32Array>();
  const dim = x0.shape[1];
  let x = tf.clone(x0);
  for (let k = 1; k <= o.steps; k++) {
    const next = tf.tidy(() => langevinStep(x, score(x), o.stepSize, noise.normal(dim), o.form));
    x.dispose();
    x = next;
    if (keep.has(k)) trajectory.set(k, x.dataSync() as Float32Array);
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory, nfe: o.steps };
}
