/**
 * The reverse kernel of the discrete chain against its closed form: does one step of the DDPM
 * sampler, driven by the exact epsilon, do what the theory says?
 *
 * The chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) z makes (x_{t-1}, x_t) jointly Gaussian
 * within each mixture component k (x_{t-1} has mean a' mu_k and variance v' = a'^2 std^2 + 1 -
 * alphaBar_{t-1}, a' = sqrt(alphaBar_{t-1}), alphaBar_{-1} = 1), so Gaussian conditioning gives,
 * without any score,
 *
 *   E[x_{t-1} | x_t] = sum_k r_k(x_t) (a' mu_k + sqrt(alpha_t) v' / v_t (x_t - sqrt(alphaBar_t) mu_k)),
 *   v_t = alpha_t v' + beta_t,   r_k = posterior of component k given x_t,
 *   Var(x_{t-1} | x_t) = v' (1 - alpha_t v' / v_t)  (one component).
 *
 * The sampler's step mean (x_t - beta_t / sqrt(1 - alphaBar_t) eps*(x_t, t)) / sqrt(alpha_t) with the
 * exact eps* equals E[x_{t-1} | x_t] for any data law (Tweedie's formula for one step); its two
 * variance rules are the exact conditional variance for the two extreme laws of Ho et al.: beta_t
 * for x_0 ~ N(0, I), the posterior variance betaTilde_t for a point mass (std 0). Float32 rounding
 * is all that separates them; a wrong coefficient, time index or variance is far outside it.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiscreteSchedule } from "../noise/schedules.ts";
import { type GaussianMixture, marginal, mixtureDim, sampleMixture } from "../data/mixtures.ts";
import type { Stream } from "../runtime/random.ts";

/** alphaBar_{t-1}, with alphaBar_{-1} = 1 (the data). */
function alphaBarBefore(s: DiscreteSchedule, t: number): number {
  return t > 0 ? s.alphaBar[t - 1] : 1;
}

/** Exact E[x_{t-1} | x_t] for data from `m`, at rows of `x` (float64; see the module doc). */
export function reverseMean(
  m: GaussianMixture,
  s: DiscreteSchedule,
  t: number,
  x: ArrayLike<number>,
): Float64Array {
  const dim = mixtureDim(m), n = x.length / dim, K = m.weights.length;
  const abPrev = alphaBarBefore(s, t);
  const vPrev = abPrev * m.std ** 2 + 1 - abPrev;
  const vt = s.alpha[t] * vPrev + s.beta[t];
  const gain = (Math.sqrt(s.alpha[t]) * vPrev) / vt;
  const a = Math.sqrt(s.alphaBar[t]), aPrev = Math.sqrt(abPrev);
  const out = new Float64Array(n * dim);
  const logit = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let top = -Infinity;
    for (let k = 0; k < K; k++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) d2 += (x[i * dim + d] - a * m.means[k][d]) ** 2;
      logit[k] = Math.log(m.weights[k]) - d2 / (2 * vt);
      top = Math.max(top, logit[k]);
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += logit[k] = Math.exp(logit[k] - top);
    for (let k = 0; k < K; k++) {
      const r = logit[k] / z;
      for (let d = 0; d < dim; d++) {
        const mu = m.means[k][d];
        out[i * dim + d] += r * (aPrev * mu + gain * (x[i * dim + d] - a * mu));
      }
    }
  }
  return out;
}

/** Exact Var(x_{t-1} | x_t) per coordinate when x_0 ~ N(mu, std0^2 I) (see the module doc). */
export function reverseVariance(s: DiscreteSchedule, t: number, std0: number): number {
  const abPrev = alphaBarBefore(s, t);
  const vPrev = abPrev * std0 ** 2 + 1 - abPrev;
  return vPrev * (1 - (s.alpha[t] * vPrev) / (s.alpha[t] * vPrev + s.beta[t]));
}

/** One reverse step as {@link ddpmStep} makes it, for a given variance rule. */
export type ReverseStep = (
  x: tf.Tensor2D,
  t: number,
  variance: "beta" | "posterior",
  z: tf.Tensor2D | null,
) => tf.Tensor2D;

/** What {@link reverseKernelErrors} measures. */
export interface ReverseKernelErrors {
  /** max over t and points of |step mean - E[x_{t-1} | x_t]| / sqrt(beta_t) (noise-std units). */
  stepMeanError: number;
  /** max over t >= 1 of |sigma_t^2 / Var(x_{t-1} | x_t) - 1| for x_0 ~ N(0, I), rule "beta". */
  stepVarError_beta: number;
  /** the same for a point mass x_0, rule "posterior". */
  stepVarError_posterior: number;
}

/**
 * Measure a reverse step driven by the exact epsilon of `m` against the closed forms of the module
 * doc, at every time index, on `points` draws of the exact marginal q_t from `stream`. The step's
 * noise scale is read as step(x, z = 1) - step(x, z = null).
 */
export function reverseKernelErrors(
  step: ReverseStep,
  s: DiscreteSchedule,
  m: GaussianMixture,
  points: number,
  stream: Stream,
): ReverseKernelErrors {
  const dim = mixtureDim(m);
  let meanError = 0;
  const varError = { beta: 0, posterior: 0 };
  const ones = tf.ones([points, dim]) as tf.Tensor2D;
  try {
    for (let t = s.T - 1; t >= 0; t--) {
      const qt = marginal(m, Math.sqrt(s.alphaBar[t]), Math.sqrt(1 - s.alphaBar[t]));
      const xs = sampleMixture(qt, points, stream).x;
      const exact = reverseMean(m, s, t, xs);
      const x = tf.tensor2d(xs, [points, dim]);
      const mean = step(x, t, "beta", null);
      const got = mean.dataSync();
      for (let i = 0; i < got.length; i++) {
        meanError = Math.max(meanError, Math.abs(got[i] - exact[i]) / Math.sqrt(s.beta[t]));
      }
      if (t > 0) {
        for (const [rule, std0] of [["beta", 1], ["posterior", 0]] as const) {
          const noisy = step(x, t, rule, ones);
          const sigma = tf.tidy(() => tf.max(tf.abs(tf.sub(noisy, mean))).dataSync()[0]);
          noisy.dispose();
          const want = reverseVariance(s, t, std0);
          varError[rule] = Math.max(varError[rule], Math.abs((sigma * sigma) / want - 1));
        }
      }
      tf.dispose([x, mean]);
    }
  } finally {
    ones.dispose();
  }
  return {
    stepMeanError: meanError,
    stepVarError_beta: varError.beta,
    stepVarError_posterior: varError.posterior,
  };
}
