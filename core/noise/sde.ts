/**
 * Forward SDEs dx = f(x, t) dt + g(t) dw on t in [0, T] (Song et al. 2021), one small object each
 * with the same methods. All three here have a linear drift f(x, t) = f(t) x and Gaussian
 * transitions x_t | x_0 ~ N(mean(t) x_0, std(t)^2 I):
 *
 *   VP:     f = -beta(t)/2,  g^2 = beta(t),                        mean = e^{-B(t)/2}, std^2 = 1 - e^{-B(t)}
 *   sub-VP: f = -beta(t)/2,  g^2 = beta(t) (1 - e^{-2 B(t)}),      mean = e^{-B(t)/2}, std   = 1 - e^{-B(t)}
 *   VE:     f = 0,           g^2 = d sigma(t)^2 / dt,              mean = 1,           std^2 = sigma(t)^2 - sigma_min^2
 *
 * with beta(t) = beta_min + t (beta_max - beta_min), B(t) = int_0^t beta, sigma(t) = sigma_min
 * (sigma_max / sigma_min)^t. The prior is N(0, I) (VP, sub-VP) or N(0, sigma_max^2 I) (VE, which
 * ignores x_0's small residual mean: score_sde#64).
 */
import * as tf from "@tensorflow/tfjs";
import type { SampleNoise } from "../runtime/random.ts";

/** A forward SDE with linear drift. */
export interface Sde {
  readonly name: "vp" | "subvp" | "ve";
  /** End time T (1). */
  readonly T: number;
  /** f(t), the drift coefficient: f(x, t) = f(t) x. */
  driftCoef(t: number): number;
  /** g(t), the diffusion coefficient. */
  diffusion(t: number): number;
  /** mean(t): E[x_t | x_0] = mean(t) x_0. */
  meanCoef(t: number): number;
  /** std(t): the standard deviation of x_t | x_0. */
  std(t: number): number;
  /** Standard deviation of the prior N(0, s^2 I) at t = T. */
  readonly priorStd: number;
}

/** f(x, t) = f(t) x. */
export function drift(sde: Sde, x: tf.Tensor2D, t: number): tf.Tensor2D {
  return tf.mul(sde.driftCoef(t), x) as tf.Tensor2D;
}

/** Draw from the prior N(0, priorStd^2 I) with per-sample noise. */
export function priorSample(sde: Sde, noise: SampleNoise, dim: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(sde.priorStd, noise.normal(dim)) as tf.Tensor2D);
}

/** log N(x; 0, priorStd^2 I) per row, float64. */
export function priorLogDensity(sde: Sde, x: ArrayLike<number>, dim: number): Float64Array {
  const n = x.length / dim;
  const v = sde.priorStd ** 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let d = 0; d < dim; d++) sq += x[i * dim + d] ** 2;
    out[i] = -0.5 * dim * Math.log(2 * Math.PI * v) - sq / (2 * v);
  }
  return out;
}

/** The VP SDE (DDPM's continuous limit), beta linear from betaMin to betaMax on [0, 1]. */
export function vpSde(betaMin = 0.1, betaMax = 20): Sde {
  const beta = (t: number) => betaMin + t * (betaMax - betaMin);
  const B = (t: number) => betaMin * t + 0.5 * t * t * (betaMax - betaMin);
  return {
    name: "vp",
    T: 1,
    driftCoef: (t) => -0.5 * beta(t),
    diffusion: (t) => Math.sqrt(beta(t)),
    meanCoef: (t) => Math.exp(-0.5 * B(t)),
    std: (t) => Math.sqrt(-Math.expm1(-B(t))),
    priorStd: 1,
  };
}

/** The sub-VP SDE: VP's drift with a smaller diffusion, variance (1 - e^{-B})^2 <= VP's. */
export function subVpSde(betaMin = 0.1, betaMax = 20): Sde {
  const beta = (t: number) => betaMin + t * (betaMax - betaMin);
  const B = (t: number) => betaMin * t + 0.5 * t * t * (betaMax - betaMin);
  return {
    name: "subvp",
    T: 1,
    driftCoef: (t) => -0.5 * beta(t),
    diffusion: (t) => Math.sqrt(beta(t) * -Math.expm1(-2 * B(t))),
    meanCoef: (t) => Math.exp(-0.5 * B(t)),
    std: (t) => -Math.expm1(-B(t)),
    priorStd: 1,
  };
}

/** The VE SDE (NCSN's continuous limit), sigma geometric from sigmaMin to sigmaMax. */
export function veSde(sigmaMin = 0.01, sigmaMax = 50): Sde {
  const sigma = (t: number) => sigmaMin * Math.pow(sigmaMax / sigmaMin, t);
  const logRatio = Math.log(sigmaMax / sigmaMin);
  return {
    name: "ve",
    T: 1,
    driftCoef: () => 0,
    diffusion: (t) => sigma(t) * Math.sqrt(2 * logRatio),
    meanCoef: () => 1,
    std: (t) => Math.sqrt(Math.max(sigma(t) ** 2 - sigmaMin ** 2, 0)),
    priorStd: sigmaMax,
  };
}

/**
 * The VP SDE of which an N-step DDPM chain with betas linear from betaStart to betaEnd is the
 * discretisation: beta(t) = N beta_i at t ~ i / N, i.e. beta_min = N betaStart, beta_max = N betaEnd.
 * The chain's alphaBar_i = prod_{j<=i} (1 - beta_j) approaches e^{-B((i+1)/N)} with an O(1/N) error.
 */
export function vpSdeOfChain(betaStart: number, betaEnd: number, N: number): Sde {
  return vpSde(N * betaStart, N * betaEnd);
}
