/**
 * The variational bound of the discrete DDPM chain (seed 001's L_Diff; Ho et al. 2020, eq. 5), in
 * nats per point. With time indices t = 0..T-1 as seed 004 writes them (the data x is x_{-1}):
 *
 *   -log p(x) <= L_prior + sum_{t=1}^{T-1} L_t + L_decoder,
 *   L_prior   = KL(q(x_{T-1} | x) || N(0, I))
 *             = 1/2 (alphaBar |x|^2 - d alphaBar - d log(1 - alphaBar)),  alphaBar = alphaBar_{T-1},
 *   L_t       = E_q KL(q(x_{t-1} | x_t, x) || p(x_{t-1} | x_t))
 *             = d/2 (betaTilde_t / sigma_t^2 - 1 + log(sigma_t^2 / betaTilde_t))
 *               + |muTilde_t - mu_t|^2 / (2 sigma_t^2),
 *   L_decoder = E_q[-log N(x; mu_0, beta_0 I)],
 *
 * with muTilde_t = (sqrt(alphaBar_{t-1}) beta_t x + sqrt(alpha_t) (1 - alphaBar_{t-1}) x_t) /
 * (1 - alphaBar_t), the model's mean mu_t = (x_t - beta_t / sqrt(1 - alphaBar_t) eps(x_t, t)) /
 * sqrt(alpha_t), sigma_t^2 = beta_t or betaTilde_t (the sampler's choice), and the decoder's
 * variance beta_0 in both cases (betaTilde_0 = 0 has no density). Each expectation is one draw
 * x_t ~ q(x_t | x) per point and t, from per-point streams: the same noise for any model, so two
 * models' bounds differ by their models, not their draws. Float64 apart from the model's eps.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "./models.ts";
import type { DiscreteSchedule } from "./noise/schedules.ts";
import type { SampleNoise } from "./runtime/random.ts";
import type { DdpmVariance } from "./samplers/ddpm.ts";

/** The bound of {@link chainElbo}: per point, and the mean of each term. */
export interface ChainElbo {
  /** The bound on -log p(x) of each point. */
  perPoint: Float64Array;
  /** Means over the points of L_prior, sum_t L_t and L_decoder. */
  prior: number;
  transitions: number;
  decoder: number;
  /** Mean L_t of each t (index 0 unused: the decoder's). */
  byTime: Float64Array;
}

/** The chain's variational bound at the rows of `x` (flat, `dim` per row); see the module doc. */
export function chainElbo(
  eps: EpsModel,
  s: DiscreteSchedule,
  x: Float32Array,
  dim: number,
  noise: SampleNoise,
  variance: DdpmVariance,
): ChainElbo {
  const n = x.length / dim;
  if (noise.count !== n) throw new RangeError(`noise for ${noise.count} points, ${n} given`);
  const perPoint = new Float64Array(n);
  const byTime = new Float64Array(s.T);
  const T = s.T;
  let prior = 0, decoder = 0, transitions = 0;
  const aT = s.alphaBar[T - 1];
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let d = 0; d < dim; d++) sq += x[i * dim + d] ** 2;
    const term = 0.5 * (aT * sq - dim * aT - dim * Math.log(1 - aT));
    perPoint[i] += term;
    prior += term / n;
  }
  const xt = new Float32Array(n * dim);
  for (let t = 0; t < T; t++) {
    const a = s.alphaBar[t], std = Math.sqrt(1 - a);
    const z = noise.normal(dim);
    const zs = z.dataSync();
    z.dispose();
    for (let k = 0; k < n * dim; k++) xt[k] = Math.sqrt(a) * x[k] + std * zs[k];
    const e = tf.tidy(() => eps(tf.tensor2d(xt, [n, dim]), t));
    const es = e.dataSync();
    e.dispose();
    const coef = s.beta[t] / std, root = Math.sqrt(s.alpha[t]);
    const mu = (k: number) => (xt[k] - coef * es[k]) / root;
    if (t === 0) {
      const v = s.beta[0];
      for (let i = 0; i < n; i++) {
        let r = 0;
        for (let d = 0; d < dim; d++) r += (x[i * dim + d] - mu(i * dim + d)) ** 2;
        const term = 0.5 * dim * Math.log(2 * Math.PI * v) + r / (2 * v);
        perPoint[i] += term;
        decoder += term / n;
      }
      continue;
    }
    const prev = s.alphaBar[t - 1];
    const vTilde = s.posteriorVariance[t];
    const v = variance === "posterior" ? vTilde : s.beta[t];
    const varTerm = 0.5 * dim * (vTilde / v - 1 + Math.log(v / vTilde));
    const cx = Math.sqrt(prev) * s.beta[t] / (1 - a), cxt = root * (1 - prev) / (1 - a);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let d = 0; d < dim; d++) {
        const k = i * dim + d;
        r += (cx * x[k] + cxt * xt[k] - mu(k)) ** 2;
      }
      const term = varTerm + r / (2 * v);
      perPoint[i] += term;
      byTime[t] += term / n;
      transitions += term / n;
    }
  }
  return { perPoint, prior, transitions, decoder, byTime };
}
