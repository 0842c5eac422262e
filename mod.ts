/**
 * scorelab: a deterministic research harness for score-based generative models on tfjs WASM-SIMD.
 *
 * The public API: data sets with closed-form oracles, networks and training, noise schedules,
 * objectives, samplers, metrics, and the experiment harness.
 *
 * @module
 */

// Runtime
/** Start tfjs on WASM-SIMD (never the cpu backend); returns what the numbers were computed on. */
export { initBackend } from "./core/runtime/backend.ts";
/** Versions and backend flags recorded in every run's provenance. */
export type { BackendInfo } from "./core/runtime/backend.ts";
/** Named, seeded random streams; per-sample noise keyed by (seed, purpose, index). */
export { SampleNoise, Stream, Streams } from "./core/runtime/random.ts";
/** Atomic file output: temp file then rename; whole folders staged and swapped. */
export { stageDirectory, writeFileAtomic, writeJsonAtomic } from "./core/runtime/io.ts";

// Data
/** The built-in data sets by name (ring8, three_clusters, grid25, mixture1d, ring, swiss_roll, moons). */
export { DATASET_NAMES, DATASETS } from "./core/data/datasets.ts";
/** A data set: name, dimension, sampler, and the closed-form mixture when there is one. */
export type { Dataset, DatasetName } from "./core/data/datasets.ts";
/** Gaussian mixtures with closed-form log-density and score of any noised law a x0 + s eps. */
export {
  marginal,
  mixtureLogDensity,
  MixtureOracle,
  mixtureScoreJs,
  nearestMode,
  sampleMixture,
} from "./core/data/mixtures.ts";
/** An isotropic Gaussian mixture sum_k w_k N(mu_k, std^2 I). */
export type { GaussianMixture } from "./core/data/mixtures.ts";
/** Shuffled minibatches as torch's DataLoader(shuffle=True, drop_last=True). */
export { gatherRows, Minibatches } from "./core/data/loader.ts";

// Networks and training
/** The network family (MLP on x and named conditioning features) and one-hot inputs. */
export { forward, Network, oneHot } from "./core/nn/network.ts";
/** A network's architecture and its conditioning features. */
export type { Activation, Feature, NetworkSpec } from "./core/nn/network.ts";
/** The seeds' networks: DDPM noise predictor, ScoreNet2D, the noise-conditional MLP. */
export { ddpmNoisePredictor, noiseConditionalMlp, scoreNet2d } from "./core/nn/architectures.ts";
/** The dense layer whose gradient materialises transposes (fast on wasm). */
export { dense } from "./core/nn/dense.ts";
/** Model parameters as one flat buffer with named views. */
export { Params } from "./core/nn/params.ts";
/** Adam / AdamW on the flat parameter buffer (PyTorch's formulation). */
export { Adam } from "./core/nn/adam.ts";
/** The training loop; a NaN or infinite loss raises DivergenceError. */
export { DivergenceError, fit, trainStep } from "./core/nn/train.ts";

// Noise, models, objectives, samplers
/** The discrete DDPM chain (linear betas, alphaBar, posterior variance) and geometric sigmas. */
export {
  geometricSigmas,
  linearBetaSchedule,
  marginalCoefficients,
  qSample,
} from "./core/noise/schedules.ts";
/** The discrete chain's coefficients. */
export type { DiscreteSchedule } from "./core/noise/schedules.ts";
/** Epsilon models from a network or from the exact mixture score. */
export { epsFromMixture, epsFromNetwork } from "./core/models.ts";
/** An epsilon predictor of the discrete chain. */
export type { EpsModel } from "./core/models.ts";
/** The DDPM epsilon-prediction loss. */
export { ddpmLoss, drawTimesAndNoise } from "./core/objectives/ddpm.ts";
/** Training an epsilon network with the DDPM objective; forward-process draws. */
export { forwardSample, trainDdpm } from "./core/recipes/ddpm.ts";
/** Training a network on data (seed batching schemes, Adam/AdamW, EMA, checkpoints). */
export { blockMeans, stepsOf, trainOnData } from "./core/recipes/train.ts";
/** How minibatches are drawn, and what training returns. */
export type { Batching, Trained } from "./core/recipes/train.ts";
/** Ancestral DDPM sampling (variance beta_t or the posterior variance). */
export { ddpmSample } from "./core/samplers/ddpm.ts";
/** Sampling in batches, with the samples the same bytes whatever the batch size. */
export { sampleInBatches } from "./core/samplers/batched.ts";
/** What every sampler returns: samples, kept states, NFE. */
export type { SamplerResult } from "./core/samplers/result.ts";

// Metrics
/** Unbiased MMD² with a summed RBF kernel, a fixed reference, and a permutation test. */
export { mmd2, MMD_BANDWIDTHS, mmdPermutationTest, MmdReference } from "./core/metrics/mmd.ts";
/** Mode coverage (GAN 2-D benchmark definition), high-quality fraction, histogram KL. */
export { modeCoverage } from "./core/metrics/modes.ts";
/** Sample quality against the true law, with the metric descriptions and golden tolerances. */
export {
  DEFAULT_QUALITY,
  QUALITY_METRICS,
  QualityJudge,
  REFERENCE_SEED,
} from "./core/metrics/quality.ts";
/** Metric input checks: MetricInputError names the input, row and value. */
export { checkPoints, MetricInputError } from "./core/metrics/points.ts";

// Harness and reports
/** The experiment contract: config, profiles, schema, metrics, run. */
export type {
  Chart,
  Experiment,
  MetricSpec,
  RunContext,
  RunOutput,
} from "./core/harness/experiment.ts";
/** Config rules and validation (errors name the field and the allowed values). */
export { ConfigError, rules, unless, validateConfig } from "./core/harness/schema.ts";
/** Run experiments, write reports, check goldens. */
export { reproduce, summaryTable } from "./core/harness/runner.ts";
/** Golden files: compare a run with its golden. */
export { compareGolden, makeGolden } from "./core/harness/golden.ts";
/** Vega-Lite spec builders with the shared theme. */
export { dataWindow, lineChart, scatterOverData, scatterPanels } from "./core/report/charts.ts";
/** Render a Vega-Lite spec to SVG, offline. */
export { renderSvg } from "./core/report/render.ts";
