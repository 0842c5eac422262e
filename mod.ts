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
export type { Activation, Feature, NetworkSpec } from "./core/nn/spec.ts";
/** The weights a network is evaluated with: named views (autodiff) or the flat buffer (fused op). */
export { flatWeights, viewWeights, type Weights } from "./core/nn/weights.ts";
/**
 * The seeds' networks: DDPM noise predictor, ScoreNet2D, the noise-conditional MLP, the
 * time-conditional MLP of the score SDEs, and the noise-conditional classifier.
 */
export {
  ddpmNoisePredictor,
  noiseConditionalMlp,
  noisyClassifier,
  scoreNet2d,
  timeConditionalMlp,
} from "./core/nn/architectures.ts";
/** The whole MLP as one op with a hand-written first-order backward pass (training, sampling). */
export { fusedForward, recordedForward } from "./core/nn/fused.ts";
/** The network op by op (autodiff at any order) and its forward-mode derivatives J v. */
export { forwardAutodiff, forwardJvp } from "./core/nn/autodiff.ts";
/** Our WebAssembly kernels on tfjs-wasm's heap, and which build (relaxed or plain SIMD) runs. */
export { kernelBuild, kernels, selectKernelBuild } from "./core/kernels/kernels.ts";
/** An exponential moving average of the weights. */
export { Ema } from "./core/nn/ema.ts";
/** mean((pred - target)^2) as one op, with tfjs's bits for value and gradient. */
export {
  halfMeanRowSquare,
  halfMeanRowSquareGradient,
  meanSquare,
  meanSquareGradient,
} from "./core/nn/mse.ts";
/**
 * A squared-error objective of the network's output: its loss as one tfjs op, and its training
 * step without tfjs's tape (the same bits).
 */
export {
  inputOf,
  modelLoss,
  regressionLoss,
  regressionStep,
  valuesOf,
} from "./core/nn/regression.ts";
/** What an objective regresses, a regression's minibatch, and the regression. */
export type { Regression, RegressionBatch, RegressionTarget } from "./core/nn/regression.ts";
/** The dense layer whose gradient materialises transposes (fast on wasm). */
export { dense } from "./core/nn/dense.ts";
/** Model parameters as one flat buffer with named views. */
export { Params } from "./core/nn/params.ts";
/** Adam / AdamW on the flat parameter buffer (PyTorch's formulation). */
export { Adam } from "./core/nn/adam.ts";
/** The training loop; a NaN or infinite loss raises DivergenceError. */
export { DivergenceError, fit, lossAndGradient, trainStep } from "./core/nn/train.ts";
/** How a loss's gradient is taken: the fused op ("fused") or op-by-op autodiff ("autodiff"). */
export type { GradientMode } from "./core/nn/train.ts";

// Both cores
/** A pool of Deno workers, each with its own tfjs-wasm, running tasks of plain data. */
export { splitRange, WorkerPool } from "./core/parallel/pool.ts";
/** DDPM sampling split across workers: the serial samples' bytes, any number of workers. */
export { ddpmSampleParallel } from "./core/parallel/sample.ts";
/** Data-parallel DDPM training: shard gradients summed in a fixed order, one optimizer step. */
export { ddpmDataParallelStep } from "./core/parallel/data_parallel.ts";
/** The same two-shard steps with this thread and a resident worker over shared memory. */
export { SharedDdpmStepper } from "./core/parallel/shared_step.ts";

// Noise, models, objectives, samplers
/** The discrete DDPM chain (linear betas, alphaBar, posterior variance) and geometric sigmas. */
export {
  geometricSigmas,
  linearBetaSchedule,
  marginalCoefficients,
  marginalColumns,
  perturbRows,
  qSample,
  qSampleRows,
} from "./core/noise/schedules.ts";
/** The discrete chain's coefficients. */
export type { DiscreteSchedule } from "./core/noise/schedules.ts";
/**
 * Epsilon models from a network or from the exact mixture score, one model per group of rows; a
 * chain network's t input.
 */
export { chainTimeInput, epsByGroup, epsFromMixture, epsFromNetwork } from "./core/models.ts";
/** An epsilon predictor of the discrete chain. */
export type { EpsModel } from "./core/models.ts";
/** The DDPM epsilon-prediction loss, and the same as a regression batch (no tape). */
export {
  ddpmLoss,
  ddpmRegression,
  ddpmScoreLoss,
  ddpmScoreTarget,
  ddpmTarget,
  drawTimesAndNoise,
} from "./core/objectives/ddpm.ts";
/** Training an epsilon network with the DDPM objective; forward-process draws. */
export { forwardSample, trainDdpm } from "./core/recipes/ddpm.ts";
/** Training a network on data (seed batching schemes, Adam/AdamW, EMA, checkpoints). */
export { stepsOf, trainOnData } from "./core/recipes/train.ts";
/** How minibatches are drawn, and what training returns. */
export type { Batching, Trained } from "./core/recipes/train.ts";
/** Ancestral DDPM sampling (variance beta_t or the posterior variance). */
export { ddpmSample } from "./core/samplers/ddpm.ts";
/** DDIM (eta = 0 deterministic, eta > 0 stochastic) on a subsequence of the chain. */
export { ddimSample } from "./core/samplers/ddim.ts";
/** Score functions of a network or of the exact mixture, by noise level or SDE time. */
export {
  logSigmaInput,
  scoreFromDdpmNetworkAtTime,
  scoreFromEpsNetworkAtTime,
  scoreFromMixture,
  scoreFromMixtureAtTime,
  scoreFromNetwork,
  scoreFunctionOf,
  sigmaScoreFromNetwork,
} from "./core/models.ts";
/** A score s(x, level) of a noise level or time. */
export type { ScoreFn } from "./core/models.ts";
/** Forward SDEs as small objects (VP, sub-VP, VE; the DDPM chain's VP SDE), prior and drift. */
export {
  drift,
  priorLogDensity,
  priorSample,
  subVpSde,
  veSde,
  vpSde,
  vpSdeOfChain,
} from "./core/noise/sde.ts";
/** The SDE interface: f(x, t), g(t), marginal mean coefficient and std, prior. */
export type { Sde } from "./core/noise/sde.ts";
/** Exact (Hyvarinen) score matching: E[tr(grad_x s) + |s|^2 / 2], J by forward mode when available. */
export { exactScoreMatchingLoss } from "./core/objectives/score_matching.ts";
/** A score function with an optional forward-mode J v. */
export type { ScoreFunction } from "./core/objectives/score_matching.ts";
/** Sliced score matching: E_v[v^T grad_x(v^T s) + (v^T s)^2 / 2], Rademacher or Gaussian v. */
export {
  drawProjections,
  slicedScoreMatchingLoss,
} from "./core/objectives/sliced_score_matching.ts";
/** Denoising score matching at one sigma: |s(x~) + eps / sigma|^2 / 2. */
export { dsmLoss, dsmRegression, dsmTarget } from "./core/objectives/dsm.ts";
/** Multi-noise DSM (NCSN), lambda(sigma) = sigma^2, sigma from a list or log-uniform. */
export { drawSigmas, ncsnLoss, ncsnRegression, ncsnTarget } from "./core/objectives/ncsn.ts";
/** Continuous-time denoising score matching (epsilon prediction, lambda(t) = std(t)^2). */
export {
  continuousDsmLoss,
  continuousDsmRegression,
  continuousDsmTarget,
  drawTimes,
} from "./core/objectives/continuous_dsm.ts";
/** Training recipes: NCSN, score SDEs, the noise-conditional classifier. */
export { fisherByLevel, sampleAnnealed, trainNcsn } from "./core/recipes/ncsn.ts";
/** Training a time-conditional epsilon network on a forward SDE. */
export { trainSde } from "./core/recipes/sde.ts";
/** Every SDE sampler by name, at a given NFE, with a learned or exact score. */
export { sampleSde, SDE_SAMPLERS } from "./core/recipes/sde_samplers.ts";
/**
 * Conditional sampling per label or value, in batches of whole conditions (each condition's rows
 * in any batch get the bits of its own); the noisy classifier's training.
 */
export {
  blockRows,
  conditionOfRows,
  groupRows,
  sampleByCondition,
  trainNoisyClassifier,
} from "./core/recipes/conditional.ts";
/** Langevin MCMC (two discretisations), MALA, annealed Langevin (two step rules). */
export { langevin, langevinStep } from "./core/samplers/langevin.ts";
/** MALA: the Langevin proposal with a Metropolis-Hastings correction; acceptance rate reported. */
export { mala } from "./core/samplers/mala.ts";
/** Annealed Langevin over decreasing sigmas, eps_i = alpha sigma_i^2 / sigma_L^2 or c sigma_i^2. */
export { annealedLangevin, stepSize } from "./core/samplers/annealed_langevin.ts";
/** Reverse-SDE Euler-Maruyama, predictor-corrector, probability-flow ODE samplers. */
export { reverseSdeSample } from "./core/samplers/reverse_sde.ts";
/** Predictor-corrector: EM or reverse-diffusion predictor, Langevin corrector at a target SNR. */
export { pcSample } from "./core/samplers/pc.ts";
/** The probability-flow ODE: its drift, and sampling with fixed-step or adaptive solvers. */
export { pfOdeDrift, pfOdeSample } from "./core/samplers/pf_ode.ts";
/** ODE solvers: one entry point, a tableau per method, constant or adaptive steps. */
export {
  solve,
  type SolveOptions,
  solveOptions,
  type SolverChoice,
  type StepControl,
  TABLEAUS,
  uniformTimes,
} from "./core/solvers/solve.ts";
/** An explicit Runge-Kutta method as its Butcher tableau, and the step they all share. */
export { type OdeFn, rkStep, type Tableau } from "./core/solvers/tableau.ts";
/** Negative log-likelihood via the probability-flow ODE (exact or Hutchinson divergence). */
export { nll } from "./core/likelihood.ts";
/** Options and result of the likelihood. */
export type { Divergence, NllOptions, NllResult } from "./core/likelihood.ts";
/** Guidance: classifier guidance and classifier-free guidance. */
export { classifierGuidance, crossEntropy, logProbGradient } from "./core/guidance/classifier.ts";
/** Classifier-free guidance: (1 + w) eps(x, t, y) - w eps(x, t, null); label dropout in training. */
export { classifierFreeGuidance, oneHotWithDropout } from "./core/guidance/classifier_free.ts";
/** Sampling in batches, with the samples the same bytes whatever the batch size. */
export { sampleInBatches } from "./core/samplers/batched.ts";
/** What every sampler returns: samples, kept states, NFE. */
export type { SamplerResult } from "./core/samplers/result.ts";

// Metrics
/** Unbiased MMD² with a summed RBF kernel, a fixed reference, and a permutation test. */
export {
  kernelOf,
  mmd2,
  MMD_BANDWIDTHS,
  mmdPermutationTest,
  MmdReference,
} from "./core/metrics/mmd.ts";
/** The MMD's float64 pair sums in WebAssembly (the plain loops' bits). */
export { MmdSums } from "./core/kernels/mmd_kernel.ts";
/** Mode coverage (GAN 2-D benchmark definition), high-quality fraction, histogram KL. */
export { modeCoverage } from "./core/metrics/modes.ts";
/** Sample quality against the true law (MMD², modes, log-density gap, non-finite samples). */
export { DEFAULT_QUALITY, QualityJudge, REFERENCE_SEED } from "./core/metrics/quality.ts";
/** The quality section of a config, and the quality metrics' meanings and gates. */
export { QUALITY_METRICS, QUALITY_RULE } from "./core/recipes/quality.ts";
/** Fisher divergence of a score field against the exact score; grids for quiver charts. */
export { fisherDivergence, gridPoints } from "./core/metrics/fisher.ts";
/** Conditional accuracy, within-mode spread, radius statistics. */
export { conditionalAccuracy, radiusStats, withinModeSpread } from "./core/metrics/conditional.ts";
/** The error of learned log-weight differences along paths between modes. */
export { lineIntegral, logWeightErrors } from "./core/metrics/path_integral.ts";
/** Metric input checks: MetricInputError names the input, row and value. */
export { checkPoints, MetricInputError } from "./core/metrics/points.ts";

// Harness and reports
/** The experiment contract: config, profiles, schema, metrics, run. */
export type { Chart, Experiment, RunContext, RunOutput } from "./core/harness/experiment.ts";
/** A metric's meaning, direction and gate. */
export type { Gate, MetricSpec } from "./core/spec/metrics.ts";
/** Config rules and validation (errors name the field and the allowed values). */
export { ConfigError, rules, unless, validateConfig } from "./core/spec/rules.ts";
/** Run experiments, write reports, check goldens. */
export { reproduce, summaryTable } from "./core/harness/runner.ts";
/** Your own data: a CSV of x,y (and label) rows, checked with file, line and column in errors. */
export { csvDataset, DataError, readDataCsv } from "./core/data/csv_dataset.ts";
/** The run plan: sweeps, profiles, the deterministic cost-balanced partition of runs. */
export { partition, plan } from "./core/harness/plan.ts";
/** What one shard runs: whole runs, and the part groups of runs too long for one shard. */
export { partGroups, shardWork } from "./core/harness/shard.ts";
/** Merge shard folders into one site and one golden verdict. */
export { merge, MergeError } from "./core/harness/merge.ts";
/** Golden files: read one, compare a run's numbers with it (reproducibility layer). */
export { compareRun, readGolden } from "./core/harness/golden.ts";
/** The quality layer: a run or a sweep against the golden's seed-to-seed distribution. */
export { judgeRun, judgeSweep, seedBand } from "./core/harness/gate.ts";
/** Small statistics: Student's t, Welch's test, Holm's correction. */
export {
  blockMeans,
  holmRejects,
  mean,
  studentTQuantile,
  summary,
  welchGreater,
} from "./core/metrics/statistics.ts";
/** Controlled degradations of samples (the power analysis of the golden check). */
export { DEGRADATIONS } from "./core/metrics/degrade.ts";
/** Vega-Lite spec builders with the shared theme. */
export { dataWindow, lineChart, scatterOverData, scatterPanels } from "./core/report/charts.ts";
/** Render a Vega-Lite spec to SVG, offline. */
export { renderSvg } from "./core/report/render.ts";
/** Configs made of sections: the schema and checks of a config from its parts; a profile as a patch. */
export { assemble, derive } from "./core/spec/section.ts";
/** A config section (rules and checks of its fields), a config patch, an assembled schema. */
export type { Assembled, Patch, Section } from "./core/spec/section.ts";
/** What a run receives besides its config: seeded streams, progress, checkpoints. */
export type { RunEnv } from "./core/runtime/env.ts";
/** The data section of a config and the draw of the training set. */
export * as dataRecipe from "./core/recipes/data.ts";
/** The DDPM recipe: chain, model and sample sections, seed 004's values, training, sampling, checks. */
export * as ddpm from "./core/recipes/ddpm.ts";
/** The NLL of a trained chain through its VP-SDE limit, with the exact-score references. */
export * as chainNll from "./core/recipes/chain_nll.ts";
/** Conditional generation: the sample section, sampling each condition, the noisy classifier. */
export * as conditional from "./core/recipes/conditional.ts";
/** Guidance: classifier-free and classifier, learned and exact, swept over the weight. */
export * as guidance from "./core/recipes/guidance.ts";
/** The NCSN recipe: seed 000's network and values, annealed Langevin beside the exact score. */
export * as ncsn from "./core/recipes/ncsn.ts";
/** Langevin MCMC on a known target: ULA, MALA and annealed Langevin on one budget. */
export * as mcmc from "./core/recipes/mcmc.ts";
/** The likelihood code checked against the closed form (tolerances, RK4, Hutchinson). */
export * as nllCheck from "./core/recipes/nll_check.ts";
/** The score-SDE recipe: VP SDE, time network, continuous DSM, test NLL. */
export * as scoreSde from "./core/recipes/sde.ts";
/** Every SDE sampler behind one NFE budget, and the sweep over samplers and budgets. */
export * as sdeSamplers from "./core/recipes/sde_samplers.ts";
/** Unconditional score networks: training with Fisher tracking, fields on a grid. */
export * as scoreNet from "./core/recipes/score_net.ts";
/** The quality section and metric specs, and judging samples against the true law. */
export * as qualityRecipe from "./core/recipes/quality.ts";
