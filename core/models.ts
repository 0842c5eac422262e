/**
 * Model interfaces shared by objectives, samplers and metrics, and adapters to them.
 *
 * A sampler never knows whether it is driven by a trained network or by the closed-form score of a
 * mixture: both are {@link EpsModel}s (discrete chain) or {@link ScoreModel}s (continuous noise
 * level or time). That is what lets every experiment put the oracle beside the learned model and
 * separate sampler error from learning error.
 */
import * as tf from "@tensorflow/tfjs";
import { type Network, oneHot } from "./nn/network.ts";
import type { Weights } from "./nn/params.ts";
import type { DiscreteSchedule } from "./noise/schedules.ts";
import type { MixtureOracle } from "./data/mixtures.ts";

/** Epsilon predictor of the discrete chain at rows of x, time index t (shared, or one per row). */
export type EpsModel = (x: tf.Tensor2D, t: number | Int32Array) => tf.Tensor2D;

/** A network with a learned time embedding named "t", plus fixed extra inputs, as an {@link EpsModel}. */
export function epsFromNetwork(
  net: Network,
  w: Weights,
  T: number,
  extra: Record<string, tf.Tensor2D> = {},
): EpsModel {
  return (x, t) =>
    tf.tidy(() => net.apply(w, x, { ...extra, t: oneHot(typeof t === "number" ? [t] : t, T) }));
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
 * A noise-conditional network s_theta(x, sigma) fed log(sigma + 1e-5) as its "logSigma" input
 * (seed 000's SimpleScoreNet), as a {@link ScoreFn}.
 */
export function sigmaScoreFromNetwork(net: Network, w: Weights): ScoreFn {
  return (x, sigma) =>
    tf.tidy(() => {
      const s = typeof sigma === "number" ? tf.tensor2d([[sigma]]) : sigma;
      return net.apply(w, x, { logSigma: tf.log(tf.add(s, 1e-5)) as tf.Tensor2D });
    });
}

/** The exact score of the mixture convolved with N(0, sigma^2 I), as a {@link ScoreFn}. */
export function scoreFromMixture(oracle: MixtureOracle): ScoreFn {
  return (x, sigma) => oracle.score(x, 1, sigma);
}
