/**
 * Noise schedules: the discrete DDPM chain (linear and cosine betas) and geometric sigma ladders.
 *
 * DDPM (Ho et al. 2020), time index t = 0..T-1 as in seed 004:
 *   beta_t linear from beta_start to beta_end, alpha_t = 1 - beta_t, alphaBar_t = prod_{s<=t} alpha_s,
 *   q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I),
 *   posterior variance betaTilde_t = beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t), alphaBar_{-1} = 1.
 */
import * as tf from "@tensorflow/tfjs";

const f32 = Math.fround;

/** The discrete chain's coefficients, in float64. */
export interface DiscreteSchedule {
  readonly T: number;
  readonly beta: Float64Array;
  readonly alpha: Float64Array;
  readonly alphaBar: Float64Array;
  /** betaTilde_t, the variance of q(x_{t-1} | x_t, x_0). */
  readonly posteriorVariance: Float64Array;
}

/** beta_t = beta_start + (beta_end - beta_start) t / (T - 1), as torch.linspace. */
export function linearBetaSchedule(T: number, betaStart = 1e-4, betaEnd = 0.02): DiscreteSchedule {
  const beta = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    beta[t] = T === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * t) / (T - 1);
  }
  return scheduleFromBetas(beta);
}

/**
 * The cosine schedule (Nichol & Dhariwal 2021; seed 002's alphaBar(u) = cos^2(pi u / 2) is its
 * offset-0 limit): alphaBar_t = f(t + 1) / f(0), f(u) = cos^2(pi/2 (u/T + offset) / (1 + offset)),
 * so alphaBar_{T-1} = 0 before clipping; beta_t = 1 - alphaBar_t / alphaBar_{t-1}, clipped at
 * `maxBeta` (the last step would otherwise be beta = 1).
 */
export function cosineBetaSchedule(T: number, offset = 0.008, maxBeta = 0.999): DiscreteSchedule {
  const f = (u: number) => Math.cos(((u / T + offset) / (1 + offset)) * Math.PI / 2) ** 2;
  const beta = new Float64Array(T);
  for (let t = 0; t < T; t++) beta[t] = Math.min(1 - f(t + 1) / f(t), maxBeta);
  return scheduleFromBetas(beta);
}

/** alpha, alphaBar and the posterior variance of a beta sequence. */
export function scheduleFromBetas(beta: Float64Array): DiscreteSchedule {
  const T = beta.length;
  const alpha = beta.map((b) => 1 - b);
  const alphaBar = new Float64Array(T);
  const posteriorVariance = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    const prev = prod;
    prod *= alpha[t];
    alphaBar[t] = prod;
    posteriorVariance[t] = (beta[t] * (1 - prev)) / (1 - prod);
  }
  return { T, beta, alpha, alphaBar, posteriorVariance };
}

/**
 * K time indices of a T-step chain, evenly spaced from T - 1 down to 0 (rounded), noisiest first:
 * the steps DDIM takes when it skips (Song et al. 2021, section 4.2).
 */
export function timeSubsequence(T: number, K: number): number[] {
  if (!(Number.isInteger(K) && K >= 1 && K <= T)) {
    throw new RangeError(`steps must be an integer in [1, ${T}], got ${K}`);
  }
  if (K === 1) return [T - 1];
  return Array.from({ length: K }, (_, i) => Math.round(((T - 1) * (K - 1 - i)) / (K - 1)));
}

/** sigma_i geometric from sigmaMax down to sigmaMin (L levels, as np.geomspace(sigmaMax, sigmaMin, L)). */
export function geometricSigmas(sigmaMax: number, sigmaMin: number, L: number): Float64Array {
  const out = new Float64Array(L);
  for (let i = 0; i < L; i++) {
    out[i] = L === 1 ? sigmaMax : sigmaMax * Math.pow(sigmaMin / sigmaMax, i / (L - 1));
  }
  return out;
}

/** sqrt(alphaBar_t) and sqrt(1 - alphaBar_t) for per-row time indices, in float32. */
export function marginalColumns(
  s: DiscreteSchedule,
  t: ArrayLike<number>,
): { mean: Float32Array; std: Float32Array } {
  const a = new Float32Array(t.length);
  const b = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    a[i] = Math.sqrt(s.alphaBar[t[i]]);
    b[i] = Math.sqrt(1 - s.alphaBar[t[i]]);
  }
  return { mean: a, std: b };
}

/** {@link marginalColumns} as [N, 1] tensors. */
export function marginalCoefficients(
  s: DiscreteSchedule,
  t: ArrayLike<number>,
): { mean: tf.Tensor2D; std: tf.Tensor2D } {
  const c = marginalColumns(s, t);
  return { mean: tf.tensor2d(c.mean, [t.length, 1]), std: tf.tensor2d(c.std, [t.length, 1]) };
}

/**
 * x_t = mean_i x_0 + std_i eps row by row, each product and the sum rounded to float32: the bits
 * of the tensor ops add(mul(mean, x0), mul(std, eps)) with [N, 1] columns (tested). Every noised
 * input of the harness is made here: the chain's and the SDEs' marginals, and DSM's x0 + sigma z
 * (mean 1, which multiplies exactly).
 */
export function perturbRows(
  mean: Float32Array,
  std: Float32Array,
  x0: Float32Array,
  eps: Float32Array,
): Float32Array {
  const dim = x0.length / mean.length;
  const xt = new Float32Array(x0.length);
  for (let i = 0; i < mean.length; i++) {
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      xt[j] = f32(f32(mean[i] * x0[j]) + f32(std[i] * eps[j]));
    }
  }
  return xt;
}

/**
 * Forward sample x_t = mean x_0 + std eps (q(x_t | x_0) with eps ~ N(0, I)) of data tensors, by
 * {@link perturbRows}; `mean` and `std` are numbers, [1, 1] or [N, 1] columns. No gradient flows
 * through it.
 */
export function qSample(
  x0: tf.Tensor2D,
  mean: tf.Tensor2D | number,
  std: tf.Tensor2D | number,
  eps: tf.Tensor2D,
): tf.Tensor2D {
  const n = x0.shape[0];
  const column = (v: tf.Tensor2D | number, name: string) => {
    if (typeof v === "number") return new Float32Array(n).fill(v);
    if ((v.shape[0] !== n && v.shape[0] !== 1) || v.shape[1] !== 1) {
      throw new RangeError(
        `qSample: ${name} is [${v.shape}]; expected a number, [1, 1] or [${n}, 1]`,
      );
    }
    const values = v.dataSync() as Float32Array;
    return v.shape[0] === n ? values : new Float32Array(n).fill(values[0]);
  };
  const xt = perturbRows(
    column(mean, "mean"),
    column(std, "std"),
    x0.dataSync() as Float32Array,
    eps.dataSync() as Float32Array,
  );
  return tf.tensor2d(xt, x0.shape);
}

/** {@link perturbRows} at per-row time indices of the chain ({@link marginalColumns}). */
export function qSampleRows(
  s: DiscreteSchedule,
  x0: Float32Array,
  t: ArrayLike<number>,
  eps: Float32Array,
): Float32Array {
  const c = marginalColumns(s, t);
  return perturbRows(c.mean, c.std, x0, eps);
}

/**
 * One step of the forward chain, q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I):
 * x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) z (x_{-1} is the data).
 */
export function forwardStep(
  s: DiscreteSchedule,
  x: tf.Tensor2D,
  t: number,
  z: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() =>
    tf.add(tf.mul(Math.sqrt(s.alpha[t]), x), tf.mul(Math.sqrt(s.beta[t]), z)) as tf.Tensor2D
  );
}
