/**
 * Model interfaces shared by objectives, samplers and metrics, and adapters to them.
 *
 * A sampler never knows whether it is driven by a trained network or by the closed-form score of a
 * mixture: both are {@link EpsModel}s (discrete chain) or {@link ScoreModel}s (continuous noise
 * level or time). That is what lets every experiment put the oracle beside the learned model and
 * separate sampler error from learning error.
 */
import { floats } from "./runtime/arrays.ts";
import * as tf from "@tensorflow/tfjs";
import { type Network, oneHot } from "./nn/network.ts";
import type { Weights } from "./nn/weights.ts";
import { type DiscreteSchedule, marginalCoefficients } from "./noise/schedules.ts";
import type { MixtureOracle } from "./data/mixtures.ts";
import type { ScoreFunction } from "./objectives/score_matching.ts";
import type { Sde } from "./noise/sde.ts";

/** Epsilon predictor of the discrete chain at rows of x, time index t (shared, or one per row). */
export type EpsModel = (x: tf.Tensor2D, t: number | Int32Array) => tf.Tensor2D;

/**
 * The "t" input of a chain network for time indices t: one-hot rows for a learned embedding,
 * t / (T - 1) in [0, 1] for sinusoidal features.
 */
export function chainTimeInput(net: Network, T: number, t: ArrayLike<number>): tf.Tensor2D {
  const sinusoidal = net.spec.features.some((f) => f.name === "t" && f.kind === "sinusoidal");
  return sinusoidal
    ? tf.tensor2d(floats(t.length, (i) => t[i] / Math.max(1, T - 1)), [t.length, 1])
    : oneHot(t, T);
}

/** A network with a time feature named "t" ({@link chainTimeInput}), plus fixed extra inputs, as an {@link EpsModel}. */
export function epsFromNetwork(
  net: Network,
  w: Weights,
  T: number,
  extra: Record<string, tf.Tensor2D> = {},
): EpsModel {
  return (x, t) =>
    tf.tidy(() =>
      net.apply(
        w,
        x,
        { ...extra, t: chainTimeInput(net, T, typeof t === "number" ? [t] : t) },
        typeof t === "number" ? ["t"] : [],
      )
    );
}

/**
 * A network trained in the score form of the chain (seed 004 section 16.4 before its
 * reparameterization): it outputs s_theta(x_t, t) ~ grad log q_t(x_t), read as the epsilon
 * predictor eps_theta = -sqrt(1 - alphaBar_t) s_theta that the samplers take.
 */
export function epsFromScoreNetwork(
  net: Network,
  w: Weights,
  s: DiscreteSchedule,
  extra: Record<string, tf.Tensor2D> = {},
): EpsModel {
  const score = epsFromNetwork(net, w, s.T, extra);
  return (x, t) =>
    tf.tidy(() => {
      const { std } = marginalCoefficients(s, typeof t === "number" ? [t] : t);
      return tf.mul(score(x, t), tf.neg(std)) as tf.Tensor2D;
    });
}

/**
 * One model per group of consecutive rows, as one {@link EpsModel}: x's rows split into
 * `models.length` equal groups, group k through `models[k]`, the outputs stacked in order.
 */
export function epsByGroup(models: EpsModel[]): EpsModel {
  return (x, t) =>
    tf.tidy(() => {
      const per = x.shape[0] / models.length;
      if (!Number.isInteger(per)) {
        throw new Error(`epsByGroup: ${x.shape[0]} rows do not split into ${models.length} groups`);
      }
      const parts = models.map((m, k) =>
        m(
          tf.slice(x, [k * per, 0], [per, -1]) as tf.Tensor2D,
          typeof t === "number" ? t : t.subarray(k * per, (k + 1) * per),
        )
      );
      return tf.concat(parts, 0) as tf.Tensor2D;
    });
}

/**
 * The exact epsilon of the discrete chain for a mixture: eps*(x_t, t) = -sqrt(1 - alphaBar_t) *
 * grad log q_t(x_t), with q_t the law of sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps.
 */
export function epsFromMixture(oracle: MixtureOracle, s: DiscreteSchedule): EpsModel {
  return (x, t) =>
    tf.tidy(() => {
      if (typeof t === "number") {
        const std = Math.sqrt(1 - s.alphaBar[t]);
        return tf.mul(-std, oracle.score(x, Math.sqrt(s.alphaBar[t]), std)) as tf.Tensor2D;
      }
      const a = new Float32Array(t.length);
      const b = new Float32Array(t.length);
      t.forEach((ti, i) => {
        a[i] = Math.sqrt(s.alphaBar[ti]);
        b[i] = Math.sqrt(1 - s.alphaBar[ti]);
      });
      const std = tf.tensor2d(b, [t.length, 1]);
      return tf.mul(
        tf.neg(std),
        oracle.score(x, tf.tensor2d(a, [t.length, 1]), std),
      ) as tf.Tensor2D;
    });
}

/**
 * The chain's score indexed by its noise std, as a {@link ScoreFn} for the annealed samplers: the
 * level must be one of the chain's sigma_t = sqrt(1 - alphaBar_t) (computed so; found exactly),
 * and s(x, sigma_t) = -eps(x, t) / sigma_t is the score of q_t (the annealed levels are the
 * chain's own marginals, x_t = sqrt(alphaBar_t) x_0 + sigma_t z).
 */
export function scoreFromEpsAtStd(eps: EpsModel, s: DiscreteSchedule): ScoreFn {
  const index = new Map<number, number>();
  for (let t = 0; t < s.T; t++) index.set(Math.sqrt(1 - s.alphaBar[t]), t);
  return (x, sigma) =>
    tf.tidy(() => {
      const t = typeof sigma === "number" ? index.get(sigma) : undefined;
      if (t === undefined) {
        throw new Error("scoreFromEpsAtStd: the level is not a sigma_t of the chain");
      }
      return tf.div(eps(x, t), -(sigma as number)) as tf.Tensor2D;
    });
}

/** A noise-conditional classifier of the chain: logits of p(y | x_t) at time index t, [N, K]. */
export type NoisyClassifier = (x: tf.Tensor2D, t: number | Int32Array) => tf.Tensor2D;

/** A classifier network with a learned time embedding named "t" as a {@link NoisyClassifier}. */
export function classifierFromNetwork(net: Network, w: Weights, T: number): NoisyClassifier {
  return (x, t) =>
    net.apply(
      w,
      x,
      { t: oneHot(typeof t === "number" ? [t] : t, T) },
      typeof t === "number" ? ["t"] : [],
    );
}

/**
 * The exact noise-conditional classifier of a mixture's components: p(k | x_t) under the law of
 * sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (one time index per call).
 */
export function classifierFromMixture(
  oracle: MixtureOracle,
  s: DiscreteSchedule,
): NoisyClassifier {
  return (x, t) => {
    if (typeof t !== "number") throw new Error("one time index per call");
    return oracle.componentLogits(x, Math.sqrt(s.alphaBar[t]), Math.sqrt(1 - s.alphaBar[t]));
  };
}

/**
 * A score function s(x, level) ~ grad_x log p_level(x): `level` is the noise level sigma (or the
 * time t of an SDE), one number shared by all rows or an [N, 1] column. A single-level model
 * ignores it.
 */
export type ScoreFn = (x: tf.Tensor2D, level: number | tf.Tensor2D) => tf.Tensor2D;

/** An unconditional network s_theta(x) (ScoreNet2D) as a {@link ScoreFn} (the level is ignored). */
export function scoreFromNetwork(net: Network, w: Weights): ScoreFn {
  return (x) => net.apply(w, x);
}

/**
 * An unconditional network s_theta(x) as a score-matching {@link ScoreFunction}, with its
 * forward-mode derivative (`Network.jvp`), so exact and sliced score matching need no nested
 * backward pass.
 */
export function scoreFunctionOf(net: Network, w: Weights): ScoreFunction {
  return Object.assign((x: tf.Tensor2D) => net.apply(w, x), {
    jvp: (x: tf.Tensor2D, tangents: tf.Tensor2D[]) => net.jvp(w, x, tangents),
  });
}

/** The "logSigma" input of seed 000's SimpleScoreNet for noise levels sigma: log(sigma + 1e-5). */
export function logSigmaInput(sigma: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.log(tf.add(sigma, 1e-5)) as tf.Tensor2D);
}

/**
 * A noise-conditional network s_theta(x, sigma) fed {@link logSigmaInput} (seed 000's
 * SimpleScoreNet), as a {@link ScoreFn}.
 */
export function sigmaScoreFromNetwork(net: Network, w: Weights): ScoreFn {
  return (x, sigma) =>
    tf.tidy(() => {
      const s = typeof sigma === "number" ? tf.tensor2d([[sigma]]) : sigma;
      return net.apply(
        w,
        x,
        { logSigma: logSigmaInput(s) },
        typeof sigma === "number" ? ["logSigma"] : [],
      );
    });
}

/** A network fed the raw noise level as its "sigma" input (seed 002), as a {@link ScoreFn}. */
export function rawSigmaScoreFromNetwork(net: Network, w: Weights): ScoreFn {
  return (x, sigma) =>
    tf.tidy(() => {
      const s = typeof sigma === "number" ? tf.tensor2d([[sigma]]) : sigma;
      return net.apply(w, x, { sigma: s }, typeof sigma === "number" ? ["sigma"] : []);
    });
}

/** The exact score of the mixture convolved with N(0, sigma^2 I), as a {@link ScoreFn}. */
export function scoreFromMixture(oracle: MixtureOracle): ScoreFn {
  return (x, sigma) => oracle.score(x, 1, sigma);
}

/**
 * The exact score of the law of x_t = mean(t) x_0 + std(t) eps for a mixture x_0 (an SDE's marginal
 * at time t), as a {@link ScoreFn} of t.
 */
export function scoreFromMixtureAtTime(oracle: MixtureOracle, sde: Sde): ScoreFn {
  return (x, t) => {
    if (typeof t !== "number") throw new Error("scoreFromMixtureAtTime: one time per call");
    return oracle.score(x, sde.meanCoef(t), sde.std(t));
  };
}

/**
 * A time-conditional epsilon network eps_theta(x, t) (its "t" input a [1, 1] or [N, 1] column) as the
 * score s(x, t) = -eps_theta(x, t) / std(t) of an SDE.
 */
export function scoreFromEpsNetworkAtTime(
  net: Network,
  w: Weights,
  sde: Sde,
  extra: Record<string, tf.Tensor2D> = {},
): ScoreFn {
  return (x, t) =>
    tf.tidy(() => {
      if (typeof t !== "number") throw new Error("scoreFromEpsNetworkAtTime: one time per call");
      return tf.div(
        net.apply(w, x, { ...extra, t: tf.tensor2d([[t]]) }, ["t"]),
        -sde.std(t),
      ) as tf.Tensor2D;
    });
}

/**
 * A discrete-time DDPM epsilon network seen through the VP SDE of its schedule (`vpSdeOfChain`),
 * as a {@link ScoreFn} of continuous t: index i sits at t_i = (i + 1) / T, and between two indices
 * the network is fed a "two-hot" time row (weights 1 - w, w), which linearly interpolates the
 * learned embedding (it is a one-hot matmul). Below t_0 the first index is used. The score is
 * -eps_theta / std(t) with the SDE's std.
 */
export function scoreFromDdpmNetworkAtTime(net: Network, w: Weights, T: number, sde: Sde): ScoreFn {
  return (x, t) =>
    tf.tidy(() => {
      if (typeof t !== "number") throw new Error("scoreFromDdpmNetworkAtTime: one time per call");
      const u = Math.min(Math.max(t * T - 1, 0), T - 1);
      const lo = Math.floor(u), frac = u - lo;
      const row = new Float32Array(T);
      row[lo] = 1 - frac;
      if (lo + 1 < T) row[lo + 1] = frac;
      const eps = net.apply(w, x, { t: tf.tensor2d(row, [1, T]) }, ["t"]);
      return tf.div(eps, -sde.std(t)) as tf.Tensor2D;
    });
}
