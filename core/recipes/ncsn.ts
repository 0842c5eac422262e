/**
 * The NCSN recipe (seed 000): a noise-conditional score network trained by multi-noise DSM (sigma
 * drawn per row, sigma^2-weighted loss, the network fed log(sigma + 1e-5)), sampled by annealed
 * Langevin, and put beside the same sampler on the exact score with the diagnostics that tell
 * learning error from sampler error.
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import { logSigmaInput, type ScoreFn, sigmaScoreFromNetwork } from "../models.ts";
import { drawSigmas, ncsnRegression, type SigmaDraw } from "../objectives/ncsn.ts";
import type { Stream, Streams } from "../runtime/random.ts";
import { marginal, type MixtureOracle, sampleMixture } from "../data/mixtures.ts";
import {
  annealedLangevin,
  type AnnealedLangevinOptions,
  stepSize,
} from "../samplers/annealed_langevin.ts";
import { langevinStep } from "../samplers/langevin.ts";
import { chainReplayOff } from "../metrics/chain_replay.ts";
import type { SamplerResult } from "../samplers/result.ts";
import { fisherDivergence } from "../metrics/fisher.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Batching, type Trained, trainOnData } from "./train.ts";
import type { AdamOptions } from "../nn/adam.ts";
import { Network as Net } from "../nn/network.ts";
import { noiseConditionalMlp } from "../nn/architectures.ts";
import { scoreFromMixture } from "../models.ts";
import type { GaussianMixture } from "../data/mixtures.ts";
import { MixtureOracle as Oracle } from "../data/mixtures.ts";
import { type LogWeightError, logWeightErrors, topDecadeError } from "../metrics/path_integral.ts";
import type { Quality } from "../metrics/quality.ts";
import type { Dataset } from "../data/dataset.ts";
import { mean } from "../metrics/statistics.ts";
import { maxPairwiseDistance } from "../metrics/points.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";
import { geometricSigmas } from "../noise/schedules.ts";
import type { StepsConfig } from "./train.ts";
import { type Judged, judgeSamples, QUALITY, QUALITY_METRICS } from "./quality.ts";
import { SCORE_NET, type ScoreNetConfig } from "./score_net.ts";
import { type DataConfig, dataSection } from "./data.ts";
import type { QualityOptions } from "../metrics/quality.ts";
import type { LangevinForm } from "../samplers/langevin.ts";
import { rules, type Schema } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
export { SCORE_NET, type ScoreNetConfig } from "./score_net.ts";

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
    regression: (x0, idx) => {
      const sigma = drawSigmas(idx.length, o.sigmas, draws);
      const z = draws.normals(idx.length * o.dim);
      const logSigma = logSigmaInput(tf.tensor2d(sigma, [idx.length, 1]));
      return ncsnRegression(x0, sigma, z, { logSigma });
    },
  });
}

/** Options of {@link sampleAnnealed}. */
export interface SampleAnnealedOptions extends Omit<AnnealedLangevinOptions, "keep"> {
  samples: number;
  dim: number;
  /** Index of the first sample (0): a block of rows gives those rows of the whole run's samples. */
  start?: number;
}

/**
 * Annealed Langevin from N(0, sigma_1^2 I) (seed 000's start), per-sample streams named `name`,
 * for samples `start .. start + samples - 1`.
 */
export function sampleAnnealed(
  score: ScoreFn,
  sigmas: ArrayLike<number>,
  streams: Streams,
  name: string,
  o: SampleAnnealedOptions,
): SamplerResult {
  const start = o.start ?? 0;
  const x0 = tf.tidy(() =>
    tf.mul(
      sigmas[0],
      streams.perSample(`${name}/start`, start, o.samples).normal(o.dim),
    ) as tf.Tensor2D
  );
  try {
    return annealedLangevin(score, x0, sigmas, streams.perSample(name, start, o.samples), o);
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

/** A trained noise-conditional score network. */
export interface NcsnNet {
  net: Network;
  losses: Float32Array;
  /** Mean loss over the last 100 steps. */
  finalLoss: number;
  dispose(): void;
}

/**
 * Seed 000's noise-conditional MLP initialised from the `init` stream and trained by multi-noise
 * DSM with `sigmas`; with `ema` > 0 the network ends holding the EMA of its weights (technique 5 of
 * Song & Ermon 2020).
 */
export async function trainNcsnNet(
  env: RunEnv,
  x: Float32Array,
  c: { model: ScoreNetConfig; train: StepsConfig },
  sigmas: SigmaDraw,
  ema = 0,
): Promise<NcsnNet> {
  const net = new Net(noiseConditionalMlp(c.model.hidden), env.streams.get("init"));
  try {
    const trained = await trainNcsn({
      net,
      x,
      dim: 2,
      batching: { kind: "draws", batchSize: c.train.batchSize, steps: c.train.steps },
      optimizer: { lr: c.train.lr },
      sigmas,
      ema: ema > 0 ? ema : undefined,
      ...env,
    });
    if (trained.ema) {
      net.params.write(trained.ema.read());
      trained.ema.dispose();
    }
    return {
      net,
      losses: trained.losses,
      finalLoss: mean(trained.losses.subarray(-100)),
      dispose: () => net.dispose(),
    };
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** A trained noise-conditional network as plain data: what a training part hands to the others. */
export interface SavedNcsnNet {
  weights: Float32Array;
  losses: Float32Array;
  finalLoss: number;
}

/** {@link trainNcsnNet}, kept as plain data only (the training part of a run). */
export async function trainSavedNcsnNet(
  ...args: Parameters<typeof trainNcsnNet>
): Promise<SavedNcsnNet> {
  const m = await trainNcsnNet(...args);
  try {
    return { weights: m.net.params.read(), losses: m.losses, finalLoss: m.finalLoss };
  } finally {
    m.dispose();
  }
}

/** The network `saved` holds, for the model section it was trained with: the trained bits. */
export function loadNcsnNet(c: { model: ScoreNetConfig }, saved: SavedNcsnNet): NcsnNet {
  const net = new Net(noiseConditionalMlp(c.model.hidden), saved.weights);
  return { net, losses: saved.losses, finalLoss: saved.finalLoss, dispose: () => net.dispose() };
}

/**
 * Rows `block` of `blocks` (near-equal blocks, in order) of the learned score's annealed samples
 * of {@link annealedLearnedVsExact}: the same rows as sampling all at once (per-sample noise, and
 * a network's rows do not depend on the batch), so a run can spread its sampling over parts.
 */
export function annealedBlock(
  env: RunEnv,
  model: NcsnNet,
  sigmas: ArrayLike<number>,
  o: SampleAnnealedOptions,
  block: number,
  blocks: number,
): Float32Array {
  const start = Math.floor((block * o.samples) / blocks);
  const end = Math.floor(((block + 1) * o.samples) / blocks);
  const w = model.net.params.fused();
  try {
    const score = sigmaScoreFromNetwork(model.net, w);
    return sampleAnnealed(score, sigmas, env.streams, "sample", {
      ...o,
      start,
      samples: end - start,
    })
      .x;
  } finally {
    tf.dispose(w);
  }
}

/** Blocks of {@link annealedBlock}, in order, as the one sampler result they are rows of. */
function joinedBlocks(
  blocks: Float32Array[],
  o: SampleAnnealedOptions,
  levels: number,
): SamplerResult {
  const x = new Float32Array(blocks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    x.set(b, at);
    at += b.length;
  }
  if (at !== o.samples * o.dim) {
    throw new Error(`the sampled blocks hold ${at / o.dim} rows, not ${o.samples}`);
  }
  return { x, trajectory: new Map(), nfe: levels * o.stepsPerLevel + (o.denoise ? 1 : 0) };
}

/** The learned model's samples beside the exact score's, and the learning-error diagnostics. */
export interface AnnealedComparison {
  learned: SamplerResult;
  exact: SamplerResult;
  /** Relative Fisher divergence at 8 geometric levels over the sampler's range. */
  levelError: { sigma: number; fisherRel: number }[];
  /** The log-weight errors between clusters implied by the learned score at those levels. */
  weightError: LogWeightError[];
}

/**
 * Annealed Langevin over `sigmas` driven by the learned score and by the mixture's exact score,
 * from the same noise (purpose `sample`); the learned score's relative Fisher divergence (2000
 * draws per level, `fisher` stream) and implied log-weight errors at 8 geometric levels over
 * `span` (the sampler's sigma_1 and sigma_L).
 */
export async function annealedLearnedVsExact(
  env: RunEnv,
  model: NcsnNet,
  mixture: GaussianMixture,
  sigmas: ArrayLike<number>,
  o: SampleAnnealedOptions,
  span: { max: number; min: number },
  blocks?: Float32Array[],
): Promise<AnnealedComparison> {
  const oracle = new Oracle(mixture);
  const phase = env.progress.phase("sample", 2);
  const w = model.net.params.fused();
  try {
    const learnedScore = sigmaScoreFromNetwork(model.net, w);
    const learned = blocks
      ? joinedBlocks(blocks, o, sigmas.length)
      : sampleAnnealed(learnedScore, sigmas, env.streams, "sample", o);
    const levels = geometricSigmas(span.max, span.min, 8);
    const levelError = fisherByLevel(learnedScore, oracle, levels, 2000, env.streams.get("fisher"));
    const weightError = logWeightErrors(
      learnedScore,
      scoreFromMixture(oracle),
      mixture.means,
      levels,
    );
    await phase.tick();
    const exact = sampleAnnealed(scoreFromMixture(oracle), sigmas, env.streams, "sample", o);
    return { learned, exact, levelError, weightError };
  } finally {
    tf.dispose(w);
    oracle.dispose();
    phase.done();
  }
}

/**
 * Seed 002's rule for the top level against a fixed one, with learning taken out: the same annealed
 * sampler on the exact score with sigma_1 = the largest distance between training points
 * (`maxPairwiseDistance`) and the same number of geometric levels down to `sigmaMin`, on the same
 * per-sample streams (purpose `sample`) as the run it is compared with. Returns sigma_1 and the
 * judged samples.
 */
export function exactUnderSpreadRule(
  dataset: Dataset,
  quality: QualityOptions,
  x: Float32Array,
  streams: Streams,
  s: { sigmaMin: number; levels: number },
  o: SampleAnnealedOptions,
): { sigmaMax: number; judged: Judged } {
  const sigmaMax = maxPairwiseDistance(x);
  const oracle = new Oracle(dataset.mixture!);
  try {
    const sigmas = geometricSigmas(sigmaMax, s.sigmaMin, s.levels);
    const run = sampleAnnealed(scoreFromMixture(oracle), sigmas, streams, "sample", o);
    return { sigmaMax, judged: judgeSamples(dataset, quality, run.x) };
  } finally {
    oracle.dispose();
  }
}

/** The exact-score sampler's figures, named `<prefix>_<figure>` (`oracle_mmd2`, ...). */
export function oracleFigures(q: Quality, prefix = "oracle"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ["mmd2", "modeKl", "modesCovered", "highQualityFraction"] as const) {
    out[`${prefix}_${k}`] = q[k]!;
  }
  return out;
}

/**
 * What both NCSN experiments report of a comparison: each sampler's judged samples, the metrics
 * (the learned samples' quality, `extra`, the top-decade log-weight error, the final loss, the
 * oracle's figures) and the details.
 */
export function comparisonFigures(
  dataset: Dataset,
  quality: QualityOptions,
  run: AnnealedComparison,
  model: NcsnNet,
  sigmaMax: number,
  extra: Record<string, number> = {},
): {
  ours: Judged;
  theirs: Judged;
  metrics: Record<string, number> & { logWeightError: number };
  details: Record<string, unknown>;
} {
  const ours = judgeSamples(dataset, quality, run.learned.x);
  const theirs = judgeSamples(dataset, quality, run.exact.x);
  const metrics = {
    ...ours.quality,
    ...extra,
    logWeightError: topDecadeError(run.weightError, sigmaMax),
    finalLoss: model.finalLoss,
    ...oracleFigures(theirs.quality),
  };
  const details = {
    perMode: ours.perMode,
    perModeOracle: theirs.perMode,
    learningErrorByLevel: run.levelError,
    logWeightErrors: run.weightError,
  };
  return { ours, theirs, metrics, details };
}

/** What an NCSN experiment's page is built from: the data, the comparison, both judged sets. */
export interface NcsnRun {
  data: Float32Array;
  run: AnnealedComparison;
  ours: Judged;
  theirs: Judged;
  losses: Float32Array;
  metrics: { logWeightError: number };
}

/** The metrics of the NCSN experiments: quality of the learned and the oracle samples. */
export const NCSN_METRICS: Record<string, MetricSpec> = {
  ...QUALITY_METRICS,
  modeKl: { ...QUALITY_METRICS.modeKl, headline: true },
  oracle_mmd2: {
    description: "MMD² of the same sampler driven by the exact score (no learning error)",
    better: "lower",
  },
  oracle_modeKl: {
    description: "mode-weight KL of the same sampler driven by the exact score",
    better: "lower",
  },
  oracle_modesCovered: {
    description: "modes covered by the same sampler driven by the exact score",
    better: "higher",
  },
  oracle_highQualityFraction: {
    description: "high-quality fraction of the same sampler driven by the exact score",
    better: "higher",
  },
  finalLoss: { description: "mean loss over the last 100 steps", better: "lower" },
  logWeightError: {
    description:
      "largest |implied log-weight error| between clusters over the top decade of noise levels " +
      "(see the chart): 0 means the learned score implies the right cluster weights",
    better: "lower",
  },
};

/** The mixtures the NCSN experiments run on. */
export const NCSN_DATASETS = ["three_clusters", "ring8", "grid25"] as const;

/** The sections every NCSN experiment has besides its training and sampling. */
export interface NcsnBase {
  /** 3 x (5000 // 3) points, as the seed builds them. */
  data: DataConfig<(typeof NCSN_DATASETS)[number]>;
  model: ScoreNetConfig;
  quality: QualityOptions;
}

/** Seed 000's values: three_clusters, 4998 points, a 128-128-128 SiLU network. */
export const SEED_000: Omit<NcsnBase, "quality"> = {
  data: { dataset: "three_clusters", trainSize: 4998 },
  model: { hidden: [128, 128, 128] },
};

/** The rules of {@link NcsnBase}'s sections (spread into an experiment's `assemble`). */
export const NCSN_SECTIONS: {
  data: Section<NcsnBase["data"]>;
  model: Section<ScoreNetConfig>;
  quality: Section<QualityOptions>;
} = { data: dataSection(NCSN_DATASETS), model: SCORE_NET, quality: QUALITY };

/** Annealed Langevin's run: steps per level, discretisation, number of samples. */
export interface AnnealedRunConfig {
  stepsPerLevel: number;
  form: LangevinForm;
  samples: number;
}

/** The rules of {@link AnnealedRunConfig}'s fields. */
export const ANNEALED_RUN_SCHEMA: Schema<AnnealedRunConfig> = {
  stepsPerLevel: rules.positiveInt(100_000),
  form: rules.oneOf("half", "full"),
  samples: rules.int(2, 1_000_000),
};

/**
 * The annealed Langevin sampler against its chain (`core/metrics/chain_replay.ts`) with the exact
 * score of `mixture`: from x0 = sigma_1 z0 (stream `annealedReplay/start`), `stepsPerLevel` Langevin
 * steps (at most 5 here) at each sigma_i with step size `o.rule`, then, when `o.denoise`, x + sigma_L^2
 * s(x, sigma_L) without noise; 64 rows (stream `annealedReplay`).
 */
export function annealedReplayOff(
  env: RunEnv,
  mixture: GaussianMixture,
  sigmas: ArrayLike<number>,
  o: SampleAnnealedOptions,
): number {
  const oracle = new Oracle(mixture);
  const T = Math.min(o.stepsPerLevel, 5), L = sigmas.length, sigmaL = sigmas[L - 1];
  const opts = { ...o, stepsPerLevel: T };
  const start = () =>
    tf.tidy(() =>
      tf.mul(sigmas[0], env.streams.perSample("annealedReplay/start", 0, 64).normal(o.dim))
    ) as tf.Tensor2D;
  try {
    const score = scoreFromMixture(oracle);
    return chainReplayOff(
      (noise) => {
        const x0 = start();
        try {
          return annealedLangevin(score, x0, sigmas, noise, opts).x;
        } finally {
          x0.dispose();
        }
      },
      {
        start,
        steps: L * T + (o.denoise ? 1 : 0),
        draws: (k) => (k < L * T ? 1 : 0),
        step: (x, k, [z]) =>
          tf.tidy(() => {
            if (k === L * T) return tf.add(x, tf.mul(sigmaL * sigmaL, score(x, sigmaL)));
            const sigma = sigmas[Math.floor(k / T)];
            return langevinStep(x, score(x, sigma), stepSize(o.rule, sigma, sigmaL), z!, o.form);
          }) as tf.Tensor2D,
      },
      () => env.streams.perSample("annealedReplay", 0, 64),
    );
  } finally {
    oracle.dispose();
  }
}
