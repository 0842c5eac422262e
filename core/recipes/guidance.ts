/**
 * The guidance recipe (seed 004 section 16.8, seed 002's classifier guidance): one conditional
 * noise predictor trained with its label dropped to a null token (so it is both eps(x, t, y) and
 * eps(x, t, null)) and a noise-conditional classifier; then, for each guidance weight, every label
 * sampled by four methods from the same starting noise (common random numbers): classifier-free
 * and classifier guidance with the learned models, and both with the exact scores of the mixture.
 */
import * as tf from "@tensorflow/tfjs";
import { type GaussianMixture, marginal, MixtureOracle, sampleMixture } from "../data/mixtures.ts";
import { Network, oneHot } from "../nn/network.ts";
import { noisyClassifier } from "../nn/architectures.ts";
import {
  classifierFromMixture,
  classifierFromNetwork,
  epsByGroup,
  epsFromMixture,
  epsFromNetwork,
  type EpsModel,
} from "../models.ts";
import { classifierFreeGuidance, oneHotWithDropout } from "../guidance/classifier_free.ts";
import { classifierGuidance } from "../guidance/classifier.ts";
import { conditionalAccuracy, withinModeSpread } from "../metrics/conditional.ts";
import { modeCoverage } from "../metrics/modes.ts";
import { MmdReference } from "../metrics/mmd.ts";
import { REFERENCE_SEED } from "../metrics/quality.ts";
import { mean } from "../metrics/statistics.ts";
import { Streams } from "../runtime/random.ts";
import type { RunEnv } from "../runtime/env.ts";
import { epochBudget, rules, unless, type Violation } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import type { MetricSpec } from "../spec/metrics.ts";
import { EPOCHS, type EpochsConfig } from "./train.ts";
import { type ChainConfig, type EpsNet, type EpsNetConfig, trainEpsNet } from "./ddpm.ts";
import type { TrainingData } from "./data.ts";
import {
  type ConditionalSamplingConfig,
  conditionOfRows,
  sampleByCondition,
  trainNoisyClassifier,
} from "./conditional.ts";
import { blockMeans } from "../metrics/statistics.ts";
import { guidanceIdentityOff } from "../metrics/guidance_identity.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";

/** The four ways of guiding, learned and exact. */
export type GuidanceMethod = "cfg" | "classifier" | "cfgExact" | "classifierExact";

/** The methods in display order. */
export const GUIDANCE_METHODS: GuidanceMethod[] = [
  "cfg",
  "classifier",
  "cfgExact",
  "classifierExact",
];

/** How each method is named on the page. */
export const METHOD_TITLE: Record<GuidanceMethod, string> = {
  cfg: "classifier-free",
  classifier: "classifier",
  cfgExact: "classifier-free, exact scores",
  classifierExact: "classifier, exact scores",
};

/** The train section of the guided noise predictor. */
export interface GuidedTrainConfig extends EpochsConfig {
  /** Probability of training on the null token instead of the label. */
  pUncond: number;
  /**
   * Sample with an EMA of the noise predictor's weights at this rate (0: the last iterate). Guidance
   * multiplies the network's error in eps_cond - eps_uncond by w; measured here, at w = 4 the samples'
   * shift from their mode is 0.27 with the last iterate, 0.066 with the EMA (exact scores: 0.066).
   */
  ema: number;
}

/** The rules of {@link GuidedTrainConfig}. */
export const GUIDED_TRAIN: Section<GuidedTrainConfig> = {
  schema: { ...EPOCHS.schema, pUncond: rules.number(0, 1), ema: rules.emaRate() },
  checks: [(c) =>
    unless(
      c.pUncond > 0,
      "pUncond",
      c.pUncond,
      "a probability > 0 (the null token must be trained for guidance)",
    )],
};

/** The classifier section: its hidden layers and its own training length and rate. */
export interface ClassifierConfig {
  hidden: number[];
  epochs: number;
  lr: number;
}

/** The rules of {@link ClassifierConfig}. */
export const CLASSIFIER: Section<ClassifierConfig> = {
  schema: {
    hidden: rules.list(rules.positiveInt(4096), 1, 8),
    epochs: rules.epochs(),
    lr: rules.learningRate(),
  },
};

/** The classifier's epochs within the step budget (it trains on the data with the train batch). */
export function classifierFitsBudget(
  c: { data: { trainSize: number }; train: EpochsConfig; classifier: ClassifierConfig },
): Violation | null {
  return epochBudget(
    { trainSize: c.data.trainSize, batchSize: c.train.batchSize, epochs: c.classifier.epochs },
    "classifier.epochs",
  );
}

/** The trained models of guidance. */
export interface Guided {
  /** The noise predictor (its EMA weights when `train.ema` > 0), label input "label" (zeros: null). */
  eps: EpsNet;
  classifier: Network;
  /** The classifier's mean cross-entropy over its last epoch. */
  classifierLoss: number;
  dispose(): void;
}

/** Train the noise predictor with label dropout, then the noisy classifier (child streams `classifier`). */
export async function trainGuided(
  env: RunEnv,
  data: TrainingData,
  c: {
    chain: ChainConfig;
    model: EpsNetConfig;
    train: GuidedTrainConfig;
    classifier: ClassifierConfig;
  },
): Promise<Guided> {
  const K = data.dataset.mixture!.means.length;
  const labels = data.labels!;
  const classifierStreams = env.streams.child("classifier");
  const clf = new Network(
    noisyClassifier({
      T: c.chain.T,
      timeEmbedDim: c.model.timeEmbedDim,
      hidden: c.classifier.hidden,
    }, K),
    classifierStreams.get("init"),
  );
  const dropout = env.streams.get("dropout");
  let eps: EpsNet | undefined;
  try {
    eps = await trainEpsNet(env, data.x, c, {
      features: [{ kind: "input", name: "label", dim: K }],
      featureValues: (idx) => ({
        label: oneHotWithDropout(Array.from(idx, (i) => labels[i]), K, c.train.pUncond, dropout),
      }),
      // The trained network holds the averaged weights.
      ema: c.train.ema > 0 ? c.train.ema : undefined,
    });
    const trained = await trainNoisyClassifier({
      net: clf,
      schedule: eps.schedule,
      x: data.x,
      labels,
      classes: K,
      dim: 2,
      batching: { kind: "epochs", batchSize: c.train.batchSize, epochs: c.classifier.epochs },
      optimizer: { lr: c.classifier.lr },
      streams: classifierStreams,
      progress: env.progress,
      checkpoints: env.checkpoints,
    });
    const model = eps;
    return {
      eps: model,
      classifier: clf,
      classifierLoss: blockMeans(trained.losses, trained.batchesPerEpoch).at(-1)!,
      dispose: () => {
        model.dispose();
        clf.dispose();
      },
    };
  } catch (e) {
    eps?.dispose();
    clf.dispose();
    throw e;
  }
}

/** The figures of one method at one weight (means over labels). */
export interface GuidancePoint {
  method: string;
  w: number;
  /** Conditional accuracy. */
  accuracy: number;
  /** Fraction of all samples within 3 std of some mode. */
  highQuality: number;
  /** RMS distance to their centroid of the samples landing on the requested mode (diversity). */
  spread: number;
  /** Distance from that centroid to the requested mode's mean. */
  shift: number;
  /** MMD^2 of each label's samples to draws of its mode's component. */
  mmdMode: number;
  [key: string]: string | number;
}

/** One cell of the sweep: its figures and its samples. */
export interface GuidanceCell {
  method: GuidanceMethod;
  point: GuidancePoint;
  x: Float32Array;
  condition: Int32Array;
  byCondition: Float32Array[];
}

/** The mixture's oracle and one per component (each mode's Gaussian: the exact p(x | y)). */
function exactOracles(mixture: GaussianMixture) {
  return {
    oracle: new MixtureOracle(mixture),
    componentOracles: mixture.means.map((mu) =>
      new MixtureOracle({ means: [mu], std: mixture.std, weights: [1] })
    ),
  };
}

/**
 * Every method at every weight: `c.perCondition` samples of each label, the same starting noise for
 * all (common random numbers), measured against the mixture (`componentReference` draws of each
 * mode's Gaussian, fixed seed, for the per-mode MMD).
 */
export async function guidanceSweep(
  env: RunEnv,
  guided: Guided,
  mixture: GaussianMixture,
  c: { weights: number[]; sample: ConditionalSamplingConfig; componentReference: number },
): Promise<GuidanceCell[]> {
  const { net, schedule } = guided.eps;
  const T = schedule.T;
  const K = mixture.means.length;
  const w = net.params.fused();
  const wc = guided.classifier.params.fused();
  const perLabel = c.sample.perCondition;
  const nullRow = tf.zeros([1, K]) as tf.Tensor2D;
  const uncond = epsFromNetwork(net, w, T, { label: nullRow });
  const classifier = classifierFromNetwork(guided.classifier, wc, T);
  const { oracle, componentOracles } = exactOracles(mixture);
  const exactClassifier = classifierFromMixture(oracle, schedule);
  const epsOf =
    (method: GuidanceMethod, weight: number) => (first: number, n: number): EpsModel => {
      // Labels first .. first + n - 1: one row per label's group (the network's input), and one
      // per row (what the classifiers are asked for).
      const labels = () => oneHot(Array.from({ length: n }, (_, k) => first + k), K);
      const asked = () => oneHot(conditionOfRows(n, perLabel, first), K);
      switch (method) {
        case "cfg":
          return classifierFreeGuidance(
            epsFromNetwork(net, w, T, { label: labels() }),
            uncond,
            weight,
          );
        case "classifier":
          return classifierGuidance(uncond, classifier, asked(), schedule, weight);
        case "cfgExact":
          return classifierFreeGuidance(
            epsByGroup(
              componentOracles.slice(first, first + n).map((o) => epsFromMixture(o, schedule)),
            ),
            epsFromMixture(oracle, schedule),
            weight,
          );
        case "classifierExact":
          return classifierGuidance(
            epsFromMixture(oracle, schedule),
            exactClassifier,
            asked(),
            schedule,
            weight,
          );
      }
    };
  const components = mixture.means.map((mu, k) =>
    new MmdReference(
      sampleMixture(
        { means: [mu], std: mixture.std, weights: [1] },
        c.componentReference,
        new Streams(REFERENCE_SEED).get(`component/${k}`),
      ).x,
      2,
    )
  );
  const cells: GuidanceCell[] = [];
  const phase = env.progress.phase("sample", GUIDANCE_METHODS.length * c.weights.length);
  try {
    for (const method of GUIDANCE_METHODS) {
      for (const weight of c.weights) {
        const s = sampleByCondition(
          epsOf(method, weight),
          K,
          perLabel,
          schedule,
          env.streams,
          { dim: 2, variance: c.sample.variance },
        );
        const spreads = s.byCondition.map((x, k) => withinModeSpread(x, k, mixture.means))
          .filter((v) => v !== null);
        const point: GuidancePoint = {
          method: METHOD_TITLE[method],
          w: weight,
          accuracy: mean(
            s.byCondition.map((x, k) => conditionalAccuracy(x, k, mixture.means, mixture.std)),
          ),
          highQuality: modeCoverage(s.x, mixture.means, mixture.std).highQualityFraction,
          spread: mean(spreads.map((v) => v!.spread)),
          shift: mean(spreads.map((v) => v!.shift)),
          mmdMode: mean(s.byCondition.map((x, k) => components[k].mmd2(x))),
        };
        cells.push({ method, point, ...s });
        await phase.tick();
      }
    }
  } finally {
    phase.done();
    tf.dispose([w, wc, nullRow]);
    oracle.dispose();
    componentOracles.forEach((o) => o.dispose());
  }
  return cells;
}

/**
 * The guidance identity (`core/metrics/guidance_identity.ts`) with the mixture's exact models at
 * every weight w of the sweep: classifier-free guidance at w against classifier guidance at 1 + w,
 * on `perLabel` draws of q_t asking for each label, at five time indices (stream
 * `guidanceIdentity`). The largest fraction of rows off over the weights: 0 when both are right.
 */
export function guidanceIdentityCheck(
  env: RunEnv,
  mixture: GaussianMixture,
  schedule: DiscreteSchedule,
  weights: number[],
  perLabel = 16,
): number {
  const K = mixture.means.length, T = schedule.T;
  const { oracle, componentOracles } = exactOracles(mixture);
  const asked = oneHot(conditionOfRows(K, perLabel), K);
  const stream = env.streams.get("guidanceIdentity");
  const ts = [0, Math.floor(T / 4), Math.floor(T / 2), Math.floor((3 * T) / 4), T - 1];
  const xs = ts.map((t) => {
    const a = Math.sqrt(schedule.alphaBar[t]), std = Math.sqrt(1 - schedule.alphaBar[t]);
    return tf.tensor2d(sampleMixture(marginal(mixture, a, std), K * perLabel, stream).x, [
      K * perLabel,
      mixture.means[0].length,
    ]);
  });
  try {
    const eps = epsFromMixture(oracle, schedule);
    const byLabel = epsByGroup(componentOracles.map((o) => epsFromMixture(o, schedule)));
    const exactClassifier = classifierFromMixture(oracle, schedule);
    return Math.max(
      ...weights.map((w) =>
        guidanceIdentityOff(
          classifierFreeGuidance(byLabel, eps, w),
          classifierGuidance(eps, exactClassifier, asked, schedule, 1 + w),
          ts,
          xs,
        )
      ),
    );
  } finally {
    tf.dispose([asked, ...xs]);
    oracle.dispose();
    componentOracles.forEach((o) => o.dispose());
  }
}

/**
 * The sweep's metrics: `<figure>_<method>_w<weight>` for each cell, and per method the accuracy
 * gain (largest w minus smallest) and the spread drop (smallest minus largest).
 */
export function guidanceMetrics(cells: GuidanceCell[], weights: number[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const lo = weights[0], hi = weights[weights.length - 1];
  for (const method of GUIDANCE_METHODS) {
    const mine = cells.filter((c) => c.method === method);
    for (const { point: p } of mine) {
      const key = `${method}_w${p.w}`;
      for (const f of ["accuracy", "highQuality", "spread", "shift", "mmdMode"] as const) {
        metrics[`${f}_${key}`] = p[f];
      }
    }
    const first = mine.find((c) => c.point.w === lo)!.point;
    const last = mine.find((c) => c.point.w === hi)!.point;
    metrics[`accuracyGain_${method}`] = last.accuracy - first.accuracy;
    metrics[`spreadDrop_${method}`] = first.spread - last.spread;
  }
  return metrics;
}

/** The sweep's metric specs (see {@link guidanceMetrics}). */
export const GUIDANCE_METRICS = {
  "accuracy_*": {
    description: "conditional accuracy (mean over labels) per method and w",
    better: "higher",
  },
  "highQuality_*": {
    description: "fraction of samples within 3 std of a mode, per method and w",
    better: "higher",
  },
  "spread_*": {
    description:
      "diversity: RMS distance to their centroid of the samples landing on the requested mode (true component: about √2 std)",
  },
  "shift_*": {
    description:
      "distance from that centroid to the requested mode's mean (guidance's push away from the other classes)",
  },
  "mmdMode_*": {
    description: "MMD² of each label's samples to its mode's component, mean over labels",
  },
  "accuracyGain_*": {
    description: "accuracy at the largest w minus at w = 0",
    better: "higher",
    headline: true,
  },
  "spreadDrop_*": { description: "within-mode spread at w = 0 minus at the largest w" },
  classifierLoss: {
    description: "mean cross-entropy of the classifier over its last epoch",
    better: "lower",
  },
  guidanceIdentityOff: {
    description:
      "guidance check: fraction of rows (16 per label, 5 time indices, every w) where classifier-free " +
      "guidance at w and classifier guidance at 1 + w, both with the exact models, differ by more than " +
      "1e-3 (Bayes' rule makes them equal)",
    better: "lower",
    gate: { exact: "float32" },
  },
} as const satisfies Record<string, MetricSpec>;
