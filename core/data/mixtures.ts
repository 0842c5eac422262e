/**
 * Isotropic Gaussian mixtures with their closed forms: the oracle of every test and metric.
 *
 * p(x) = sum_k w_k N(x; mu_k, std^2 I). The law of a x0 + s eps (x0 ~ p, eps ~ N(0, I)) is again such
 * a mixture, with means a mu_k and variance a^2 std^2 + s^2 ({@link marginal}); so the score of the
 * data convolved with N(0, s^2 I) (a = 1) and of the VP marginal (a = sqrt(alphaBar),
 * s = sqrt(1 - alphaBar)) both come from {@link mixtureScore}.
 */
import * as tf from "@tensorflow/tfjs";
import type { Stream } from "../runtime/random.ts";

const f32 = Math.fround;

/** sum_k w_k N(mu_k, std^2 I). */
export interface GaussianMixture {
  /** Component means, K rows of `dim` numbers. */
  readonly means: readonly (readonly number[])[];
  /** Shared isotropic standard deviation. */
  readonly std: number;
  /** Component weights, summing to 1. */
  readonly weights: readonly number[];
}

/** Dimension of the mixture's space. */
export function mixtureDim(m: GaussianMixture): number {
  return m.means[0].length;
}

/** The law of a x0 + s eps for x0 ~ m: means a mu_k, std sqrt(a^2 std^2 + s^2). */
export function marginal(m: GaussianMixture, a: number, s: number): GaussianMixture {
  return {
    means: m.means.map((mu) => mu.map((v) => a * v)),
    std: Math.sqrt(a * a * m.std * m.std + s * s),
    weights: m.weights,
  };
}

/** `n` iid draws: component k with probability w_k, then mu_k + std z. Labels are component indices. */
export function sampleMixture(
  m: GaussianMixture,
  n: number,
  stream: Stream,
): { x: Float32Array; labels: Int32Array } {
  const dim = mixtureDim(m);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of m.weights) cdf.push(acc += w);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = stream.uniform() * acc;
    let k = 0;
    while (k < cdf.length - 1 && u >= cdf[k]) k++;
    labels[i] = k;
  }
  return { x: placeAround(m, labels, stream, dim), labels };
}

/**
 * `n` draws with exactly floor(n/K) per component (the first n mod K components get one more),
 * in shuffled order: seed 000 builds its three clusters this way.
 */
export function sampleMixtureBalanced(
  m: GaussianMixture,
  n: number,
  stream: Stream,
): { x: Float32Array; labels: Int32Array } {
  const K = m.means.length;
  const order = stream.permutation(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[order[i]] = i % K;
  return { x: placeAround(m, labels, stream, mixtureDim(m)), labels };
}

function placeAround(m: GaussianMixture, labels: Int32Array, stream: Stream, dim: number) {
  const x = new Float32Array(labels.length * dim);
  for (let i = 0; i < labels.length; i++) {
    const mu = m.means[labels[i]];
    for (let d = 0; d < dim; d++) x[i * dim + d] = mu[d] + m.std * stream.normal();
  }
  return x;
}

/**
 * log p(x) for each row of x (flat, `dim` per row), in float64:
 * log sum_k w_k N(x; mu_k, std^2 I), by log-sum-exp.
 */
export function mixtureLogDensity(m: GaussianMixture, x: ArrayLike<number>): Float64Array {
  const dim = mixtureDim(m);
  const n = Math.floor(x.length / dim);
  const v = m.std * m.std;
  const norm = -0.5 * dim * Math.log(2 * Math.PI * v);
  const logw = m.weights.map(Math.log);
  const out = new Float64Array(n);
  const terms = new Float64Array(m.means.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < m.means.length; k++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = x[i * dim + d] - m.means[k][d];
        d2 += diff * diff;
      }
      terms[k] = logw[k] - d2 / (2 * v);
      if (terms[k] > max) max = terms[k];
    }
    let sum = 0;
    for (let k = 0; k < terms.length; k++) sum += Math.exp(terms[k] - max);
    out[i] = norm + max + Math.log(sum);
  }
  return out;
}

/**
 * The score grad_x log p(x) of the mixture, in float64 (for tests and metrics):
 * sum_k r_k(x) (mu_k - x) / std^2 with responsibilities r_k = w_k N_k(x) / p(x).
 */
export function mixtureScoreJs(m: GaussianMixture, x: ArrayLike<number>): Float64Array {
  const dim = mixtureDim(m);
  const n = Math.floor(x.length / dim);
  const v = m.std * m.std;
  const out = new Float64Array(n * dim);
  const logits = new Float64Array(m.means.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < m.means.length; k++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = x[i * dim + d] - m.means[k][d];
        d2 += diff * diff;
      }
      logits[k] = Math.log(m.weights[k]) - d2 / (2 * v);
      if (logits[k] > max) max = logits[k];
    }
    let z = 0;
    for (let k = 0; k < logits.length; k++) z += logits[k] = Math.exp(logits[k] - max);
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let k = 0; k < logits.length; k++) {
        s += (logits[k] / z) * (m.means[k][d] - x[i * dim + d]);
      }
      out[i * dim + d] = s / v;
    }
  }
  return out;
}

/**
 * The closed form of the law of a x0 + s eps (x0 from the mixture, eps ~ N(0, I)) as differentiable
 * tensor ops, so samplers, the likelihood's divergence, MALA and guidance use the oracle exactly as
 * they use a network. With v = a^2 std^2 + s^2 and logits_k = log w_k + a x.mu_k / v - a^2 |mu_k|^2 / (2 v):
 *
 *   score(x) = (a R mu - x) / v,   R = softmax_k(logits_k)
 *   log p(x) = logsumexp_k(logits_k) - |x|^2 / (2 v) - (d/2) log(2 pi v)
 *
 * (the |x|^2 term of the Gaussian exponent is the same for every k and cancels in the softmax).
 * `a` and `s` are numbers or [N, 1] columns (a noise level per row). The mixture's constants live
 * on the backend once; call `dispose()` when done.
 */
export class MixtureOracle {
  readonly #mu: tf.Tensor2D;
  readonly #muT: tf.Tensor2D;
  readonly #muSq: tf.Tensor1D;
  readonly #logw: tf.Tensor1D;

  constructor(readonly mixture: GaussianMixture) {
    this.#mu = tf.tensor2d(mixture.means as number[][]);
    this.#muT = tf.tensor2d(transpose(mixture.means));
    this.#muSq = tf.tensor1d(mixture.means.map((r) => r.reduce((acc, v) => acc + v * v, 0)));
    this.#logw = tf.tensor1d(mixture.weights.map(Math.log));
  }

  #logits(x: tf.Tensor2D, a: number | tf.Tensor2D, v: number | tf.Tensor) {
    const halfASq = typeof a === "number"
      ? f32(f32(f32(a) * f32(a)) * 0.5)
      : tf.mul(tf.square(a), 0.5);
    return tf.add(
      this.#logw,
      tf.div(tf.sub(tf.mul(a, tf.matMul(x, this.#muT)), tf.mul(halfASq, this.#muSq)), v),
    ) as tf.Tensor2D;
  }

  // v = a^2 std^2 + s^2. For numbers a and s it is computed here, in float32 as tfjs's ops round it
  // (each float64 operation of float32 operands, rounded once to float32, is the float32
  // operation), saving four tfjs ops a call: the same bits.
  #variance(a: number | tf.Tensor2D, s: number | tf.Tensor2D): number | tf.Tensor {
    if (typeof a === "number" && typeof s === "number") {
      return f32(f32(f32(f32(a) * f32(a)) * f32(this.mixture.std ** 2)) + f32(f32(s) * f32(s)));
    }
    return tf.add(tf.mul(tf.square(a), this.mixture.std ** 2), tf.square(s));
  }

  /**
   * Logits whose softmax is the posterior p(k | x) of component k given x under the noised law (the
   * exact noise-conditional classifier), [N, K].
   */
  componentLogits(
    x: tf.Tensor2D,
    a: number | tf.Tensor2D = 1,
    s: number | tf.Tensor2D = 0,
  ): tf.Tensor2D {
    return tf.tidy(() => this.#logits(x, a, this.#variance(a, s)));
  }

  /** grad_x log p(x) at rows of x. */
  score(x: tf.Tensor2D, a: number | tf.Tensor2D = 1, s: number | tf.Tensor2D = 0): tf.Tensor2D {
    return tf.tidy(() => {
      const v = this.#variance(a, s);
      const r = tf.softmax(this.#logits(x, a, v));
      return tf.div(tf.sub(tf.mul(a, tf.matMul(r, this.#mu)), x), v) as tf.Tensor2D;
    });
  }

  /** log p(x) at rows of x, shape [N]. */
  logDensity(
    x: tf.Tensor2D,
    a: number | tf.Tensor2D = 1,
    s: number | tf.Tensor2D = 0,
  ): tf.Tensor1D {
    return tf.tidy(() => {
      const v = this.#variance(a, s);
      const d = x.shape[1];
      const lse = tf.logSumExp(this.#logits(x, a, v), 1, true);
      const quad = tf.div(tf.sum(tf.square(x), 1, true), tf.mul(v, 2));
      const norm = tf.mul(0.5 * d, tf.log(tf.mul(v, 2 * Math.PI)));
      return tf.reshape(tf.sub(tf.sub(lse, quad), norm), [-1]) as tf.Tensor1D;
    });
  }

  /** Free the mixture's constant tensors. */
  dispose(): void {
    tf.dispose([this.#mu, this.#muT, this.#muSq, this.#logw]);
  }
}

function transpose(rows: readonly (readonly number[])[]): number[][] {
  return rows[0].map((_, j) => rows.map((r) => r[j]));
}

/** Index of the nearest mean (Euclidean) for each row of x, and that distance. */
export function nearestMode(
  means: readonly (readonly number[])[],
  x: ArrayLike<number>,
): { mode: Int32Array; distance: Float64Array } {
  const dim = means[0].length;
  const n = Math.floor(x.length / dim);
  const mode = new Int32Array(n);
  const distance = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = 0;
    for (let k = 0; k < means.length; k++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = x[i * dim + d] - means[k][d];
        d2 += diff * diff;
      }
      if (d2 < best) {
        best = d2;
        arg = k;
      }
    }
    mode[i] = arg;
    distance[i] = Math.sqrt(best);
  }
  return { mode, distance };
}

/** Equal weights for K components. */
function uniformWeights(K: number): number[] {
  return Array.from({ length: K }, () => 1 / K);
}

/** ring8 (seed 004): 8 modes at radius 3.0, angles 2 pi k / 8, std 0.25, equal weights. */
export function ring8Mixture(radius = 3.0, std = 0.25, modes = 8): GaussianMixture {
  const means = Array.from({ length: modes }, (_, k) => {
    const th = (2 * Math.PI * k) / modes;
    return [radius * Math.cos(th), radius * Math.sin(th)];
  });
  return { means, std, weights: uniformWeights(modes) };
}

/** three_clusters (seed 000): means (-2,-2), (2,-2), (0,2.5), std 0.5, equal weights. */
export function threeClustersMixture(): GaussianMixture {
  return { means: [[-2, -2], [2, -2], [0, 2.5]], std: 0.5, weights: uniformWeights(3) };
}

/**
 * overlap3: three modes whose classes overlap (for guidance's quality-versus-diversity trade-off):
 * means on a circle of radius 0.7 (1.21 apart), std 0.5: the Bayes classifier is right about 78%
 * of the time.
 */
export function overlap3Mixture(): GaussianMixture {
  return ring8Mixture(0.7, 0.5, 3);
}

/** grid25: 5x5 modes at {-4,-2,0,2,4}^2, std 0.05, equal weights (the GAN 2-D benchmark grid). */
export function grid25Mixture(): GaussianMixture {
  const ticks = [-4, -2, 0, 2, 4];
  const means = ticks.flatMap((a) => ticks.map((b) => [a, b]));
  return { means, std: 0.05, weights: uniformWeights(25) };
}

/** The 1-D two-component mixture of `ddpm-1d`: 0.3 N(-2, 0.5^2) + 0.7 N(1.5, 0.5^2). */
export function twoComponent1dMixture(): GaussianMixture {
  return { means: [[-2], [1.5]], std: 0.5, weights: [0.3, 0.7] };
}

/**
 * The differential entropy H(p) = -E_p log p of the mixture (nats), by Monte Carlo over n draws
 * (float64; the standard error is reported beside it). It is the best NLL any model can reach.
 */
export function mixtureEntropy(
  m: GaussianMixture,
  n: number,
  stream: Stream,
): { entropy: number; stdError: number } {
  const lp = mixtureLogDensity(m, sampleMixture(m, n, stream).x);
  let s = 0, s2 = 0;
  for (const v of lp) {
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  return { entropy: -mean, stdError: Math.sqrt((s2 / n - mean * mean) / n) };
}
