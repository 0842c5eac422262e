/**
 * Training a noise-conditional score network by multi-noise DSM (seed 000's loop: sigma drawn per
 * row, sigma^2-weighted loss, the network fed log(sigma + 1e-5)).
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import { type ScoreFn, sigmaScoreFromNetwork } from "../models.ts";
import { drawSigmas, ncsnLoss, type SigmaDraw } from "../objectives/ncsn.ts";
import type { Stream, Streams } from "../runtime/random.ts";
import { marginal, type MixtureOracle, sampleMixture } from "../data/mixtures.ts";
import { annealedLangevin, type AnnealedLangevinOptions } from "../samplers/annealed_langevin.ts";
import type { SamplerResult } from "../samplers/result.ts";
import { fisherDivergence } from "../metrics/fisher.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Batching, type Trained, trainOnData } from "./train.ts";
import type { AdamOptions } from "../nn/adam.ts";

/** Options of {@link trainNcsn}. */
export interface TrainNcsnOptions {
  net: Network;
  x: Float32Array;
  dim: number;
  batching: Batching;
  optimizer: AdamOptions;
  sigmas: SigmaDraw;
  ema?: number;
  streams: Streams;
  progress: Progress;
  /** The run's checkpoints (none by default). */
  checkpoints?: Checkpoints;
}

/** Train `net` as s_theta(x, sigma); returns the per-step losses (and the EMA if asked). */
export function trainNcsn(o: TrainNcsnOptions): Promise<Trained> {
  const draws = o.streams.get("train");
  return trainOnData({
    ...o,
    loss: (w, x0) => {
      const n = x0.shape[0];
      const sigma = tf.tensor2d(drawSigmas(n, o.sigmas, draws), [n, 1]);
      const z = tf.tensor2d(draws.normals(n * o.dim), [n, o.dim]);
      return ncsnLoss(sigmaScoreFromNetwork(o.net, w), x0, sigma, z);
    },
  });
}

/** Options of {@link sampleAnnealed}. */
export interface SampleAnnealedOptions extends Omit<AnnealedLangevinOptions, "keep"> {
  samples: number;
  dim: number;
}

/**
 * Annealed Langevin from N(0, sigma_1^2 I) (seed 000's start), per-sample streams named `name`.
 */
export function sampleAnnealed(
  score: ScoreFn,
  sigmas: ArrayLike<number>,
  streams: Streams,
  name: string,
  o: SampleAnnealedOptions,
): SamplerResult {
  const x0 = tf.tidy(() =>
    tf.mul(sigmas[0], streams.perSample(`${name}/start`, 0, o.samples).normal(o.dim)) as tf.Tensor2D
  );
  try {
    return annealedLangevin(score, x0, sigmas, streams.perSample(name, 0, o.samples), o);
  } finally {
    x0.dispose();
  }
}

/**
 * Learning error per noise level: E|s_theta(x, sigma) - grad log p_sigma(x)|^2 / E|grad log p_sigma|^2
 * on draws of p_sigma (the mixture convolved with N(0, sigma^2 I)), for each given sigma.
 */
export function fisherByLevel(
  learned: ScoreFn,
  oracle: MixtureOracle,
  sigmas: ArrayLike<number>,
  points: number,
  stream: Stream,
): { sigma: number; fisherRel: number }[] {
  return Array.from(sigmas, (sigma) => {
    const x = sampleMixture(marginal(oracle.mixture, 1, sigma), points, stream).x;
    const exact = (p: tf.Tensor2D) => oracle.score(p, 1, sigma);
    const f = fisherDivergence((p) => learned(p, sigma), exact, x, 2);
    return { sigma, fisherRel: f / fisherDivergence(tf.zerosLike, exact, x, 2) };
  });
}
