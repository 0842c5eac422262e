/**
 * Ancestral DDPM sampling (seed 004, section 16.6):
 *
 *   x_{T} ~ N(0, I);  for t = T-1 .. 0:
 *   x_{t-1} = (x_t - beta_t / sqrt(1 - alphaBar_t) eps(x_t, t)) / sqrt(alpha_t) + sigma_t z,
 *
 * with z ~ N(0, I) except at t = 0, and sigma_t^2 = beta_t (the seed's choice) or the posterior
 * variance betaTilde_t (Ho et al.'s other choice).
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";

/** Variance of the reverse step: `beta` (sigma_t^2 = beta_t) or `posterior` (betaTilde_t). */
export type DdpmVariance = "beta" | "posterior";

/** Options of {@link ddpmSample}. */
export interface DdpmSampleOptions {
  dim: number;
  variance?: DdpmVariance;
  /**
   * Time indices t whose state x_t (the input of the step at t, distributed as the forward
   * marginal q(x_t) when the model is exact) is kept; x_{T-1} is the starting noise.
   */
  keep?: number[];
}

/**
 * One reverse step at time index t: mean(x_t) + sigma_t z, with mean and sigma_t as in the module
 * doc; `z` null adds no noise (the step at t = 0, and the mean alone for checks).
 */
export function ddpmStep(
  eps: EpsModel,
  s: DiscreteSchedule,
  x: tf.Tensor2D,
  t: number,
  variance: DdpmVariance,
  z: tf.Tensor2D | null,
): tf.Tensor2D {
  return tf.tidy(() => {
    const coef = s.beta[t] / Math.sqrt(1 - s.alphaBar[t]);
    const mean = tf.div(tf.sub(x, tf.mul(coef, eps(x, t))), Math.sqrt(s.alpha[t]));
    if (!z) return mean as tf.Tensor2D;
    const sigma = Math.sqrt(variance === "posterior" ? s.posteriorVariance[t] : s.beta[t]);
    return tf.add(mean, tf.mul(sigma, z)) as tf.Tensor2D;
  });
}

/** Run the reverse chain from per-sample noise; see the module doc for the update. */
export function ddpmSample(
  eps: EpsModel,
  s: DiscreteSchedule,
  noise: SampleNoise,
  o: DdpmSampleOptions,
): SamplerResult {
  const keep = new Set(o.keep ?? []);
  const trajectory = new Map<number, Float32Array>();
  let x = noise.normal(o.dim);
  for (let t = s.T - 1; t >= 0; t--) {
    if (keep.has(t)) trajectory.set(t, x.dataSync() as Float32Array);
    const z = t > 0 ? noise.normal(o.dim) : null;
    const next = ddpmStep(eps, s, x, t, o.variance ?? "beta", z);
    z?.dispose();
    x.dispose();
    x = next;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory, nfe: s.T };
}
