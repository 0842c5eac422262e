/**
 * Conditional generation recipes: training a noise-conditional classifier, and drawing samples
 * for each requested condition with per-sample noise (sample i of condition k is sample
 * k * perCondition + i of one stream namespace, whatever the batch it is drawn in).
 */
import * as tf from "@tensorflow/tfjs";
import type { Network } from "../nn/network.ts";
import { oneHot } from "../nn/network.ts";
import type { EpsModel } from "../models.ts";
import { drawTimesAndNoise } from "../objectives/ddpm.ts";
import { type DiscreteSchedule, marginalCoefficients, qSample } from "../noise/schedules.ts";
import { ddpmSample, type DdpmVariance } from "../samplers/ddpm.ts";
import { crossEntropy } from "../guidance/classifier.ts";
import type { Streams } from "../runtime/random.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Checkpoints } from "../runtime/checkpoints.ts";
import { type Batching, type Trained, trainOnData } from "./train.ts";
import type { AdamOptions } from "../nn/adam.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { epsByGroup, epsFromMixture, epsFromNetwork, scoreFromEpsAtStd } from "../models.ts";
import { type GaussianMixture, MixtureOracle } from "../data/mixtures.ts";
import { annealedLangevin } from "../samplers/annealed_langevin.ts";
import { componentScoreOff } from "../metrics/conditional.ts";
import type { EpsNet } from "./ddpm.ts";

/** The sample section of conditional generation: samples per requested condition, reverse variance. */
export interface ConditionalSamplingConfig {
  perCondition: number;
  /** The seed's conditional sampler uses the posterior variance. */
  variance: DdpmVariance;
}

/** The rules of {@link ConditionalSamplingConfig}. */
export const CONDITIONAL_SAMPLING: Section<ConditionalSamplingConfig> = {
  schema: { perCondition: rules.int(2, 100_000), variance: rules.oneOf("beta", "posterior") },
};

/**
 * Ancestral samples of a conditional network for each condition (its extra inputs, one row each
 * [1, width], consumed), `c.perCondition` per condition (see {@link sampleByCondition}): whole
 * conditions in a batch, each condition's row shared by its group of rows.
 */
export async function sampleConditions(
  env: RunEnv,
  model: EpsNet,
  conditions: Record<string, tf.Tensor2D>[],
  c: ConditionalSamplingConfig,
): Promise<{ x: Float32Array; condition: Int32Array; byCondition: Float32Array[] }> {
  const phase = env.progress.phase("sample", 1);
  const w = model.net.params.fused();
  const grouped = groupRows(conditions);
  try {
    return sampleByCondition(
      (first, n) => epsFromNetwork(model.net, w, model.schedule.T, blockRows(grouped, first, n)),
      conditions.length,
      c.perCondition,
      model.schedule,
      env.streams,
      { dim: 2, variance: c.variance },
    );
  } finally {
    tf.dispose([w, ...Object.values(grouped), ...conditions.flatMap((f) => Object.values(f))]);
    await phase.tick();
    phase.done();
  }
}

/** Options of {@link trainNoisyClassifier}. */
export interface TrainClassifierOptions {
  net: Network;
  schedule: DiscreteSchedule;
  x: Float32Array;
  labels: Int32Array;
  classes: number;
  dim: number;
  batching: Batching;
  optimizer: AdamOptions;
  streams: Streams;
  progress: Progress;
  /** The run's checkpoints (none by default). */
  checkpoints?: Checkpoints;
}

/** Train p(y | x_t, t) by cross-entropy on x_t ~ q(x_t | x_0) with t uniform over the chain. */
export function trainNoisyClassifier(o: TrainClassifierOptions): Promise<Trained> {
  const draws = o.streams.get("train");
  const T = o.schedule.T;
  return trainOnData({
    net: o.net,
    x: o.x,
    dim: o.dim,
    batching: o.batching,
    optimizer: o.optimizer,
    streams: o.streams,
    progress: o.progress,
    checkpoints: o.checkpoints,
    label: "classifier",
    loss: (w, x0, idx) => {
      const { t, eps } = drawTimesAndNoise(idx.length, o.dim, T, draws);
      const c = marginalCoefficients(o.schedule, t);
      const xt = qSample(x0, c.mean, c.std, tf.tensor2d(eps, [idx.length, o.dim]));
      const logits = o.net.apply(w, xt, { t: oneHot(t, T) });
      return crossEntropy(logits, oneHot(Array.from(idx, (i) => o.labels[i]), o.classes));
    },
  });
}

/**
 * The condition of each row when `count` conditions, numbered from `first`, have `perCondition`
 * rows each, in order.
 */
export function conditionOfRows(count: number, perCondition: number, first = 0): Int32Array {
  return Int32Array.from(
    { length: count * perCondition },
    (_, i) => first + Math.floor(i / perCondition),
  );
}

/**
 * Each extra input of the conditions (one row each, [1, width]) as one tensor [count, width]: row k
 * is condition k's, shared by its group of rows (see `core/nn/fused.ts`).
 */
export function groupRows(conditions: Record<string, tf.Tensor2D>[]): Record<string, tf.Tensor2D> {
  const names = Object.keys(conditions[0] ?? {});
  return Object.fromEntries(
    names.map((name) => [name, tf.concat(conditions.map((c) => c[name]), 0) as tf.Tensor2D]),
  );
}

/** Rows first .. first + n - 1 of each extra input made by {@link groupRows}: a block's conditions. */
export function blockRows(
  grouped: Record<string, tf.Tensor2D>,
  first: number,
  n: number,
): Record<string, tf.Tensor2D> {
  return Object.fromEntries(
    Object.entries(grouped).map(([name, t]) => [name, tf.slice(t, [first, 0], [n, -1])]),
  );
}

/** The most rows a batch of whole conditions holds (a batch has at least one condition). */
export const CONDITION_BATCH_ROWS = 8192;

/**
 * The samples of `count` conditions, `perCondition` rows of `dim` numbers each, drawn in batches of
 * whole conditions (at most `batchRows` rows, at least one condition): `draw(first, n)` returns the
 * rows of conditions first .. first + n - 1 in order; the tensors it makes are disposed when it
 * returns. A draw whose rows do not mix gives each condition the same bits in any batch.
 */
export function drawByCondition(
  count: number,
  perCondition: number,
  dim: number,
  draw: (first: number, n: number) => Float32Array,
  batchRows = CONDITION_BATCH_ROWS,
): Float32Array {
  const block = Math.max(1, Math.floor(batchRows / perCondition));
  const size = perCondition * dim;
  const x = new Float32Array(count * size);
  for (let first = 0; first < count; first += block) {
    const n = Math.min(block, count - first);
    tf.engine().startScope();
    try {
      x.set(draw(first, n), first * size);
    } finally {
      tf.engine().endScope();
    }
  }
  return x;
}

/**
 * `perCondition` ancestral samples for each condition k = 0..count-1, drawn in batches of whole
 * conditions ({@link drawByCondition}): `epsFor(first, n)` is the model for conditions first ..
 * first + n - 1, rows k * perCondition .. (k + 1) * perCondition - 1 of the batch asking for
 * condition first + k. Sample i of condition k is sample k * perCondition + i of the stream
 * namespace, and a model whose rows do not mix gives every condition the bits it gets in a batch
 * of its own. Returns the samples in condition order, each row's condition ({@link
 * conditionOfRows}), and each condition's samples.
 */
export function sampleByCondition(
  epsFor: (first: number, n: number) => EpsModel,
  count: number,
  perCondition: number,
  schedule: DiscreteSchedule,
  streams: Streams,
  o: { dim: number; variance: DdpmVariance; name?: string; batchRows?: number },
): { x: Float32Array; condition: Int32Array; byCondition: Float32Array[] } {
  const x = drawByCondition(count, perCondition, o.dim, (first, n) => {
    const noise = streams.perSample(o.name ?? "sample", first * perCondition, n * perCondition);
    return ddpmSample(epsFor(first, n), schedule, noise, { dim: o.dim, variance: o.variance }).x;
  }, o.batchRows);
  const size = perCondition * o.dim;
  const byCondition = Array.from({ length: count }, (_, k) => x.slice(k * size, (k + 1) * size));
  return { x, condition: conditionOfRows(count, perCondition), byCondition };
}

/**
 * Conditional Langevin (seed 000, exercise 4): annealed Langevin, x + eps_i s + sqrt(2 eps_i) z,
 * on the chain's own marginals q_t(x | y) at `levels` time indices from T - 1 down to 0, with
 * eps_i = alpha sigma_i^2 / sigma_0^2 and `stepsPerLevel` steps each, started from N(0, sigma_{T-1}^2 I).
 */
export interface ConditionalLangevinConfig {
  levels: number;
  stepsPerLevel: number;
  alpha: number;
}

/** The rules of {@link ConditionalLangevinConfig}. */
export const CONDITIONAL_LANGEVIN: Section<ConditionalLangevinConfig> = {
  schema: {
    levels: rules.int(2, 10_000),
    stepsPerLevel: rules.int(1, 100_000),
    alpha: rules.positive(1),
  },
};

/** The time indices of {@link ConditionalLangevinConfig}'s levels: T - 1 down to 0, evenly. */
export function langevinLevels(T: number, levels: number): number[] {
  const ts = Array.from(
    { length: levels },
    (_, i) => Math.round(((T - 1) * (levels - 1 - i)) / (levels - 1)),
  );
  return [...new Set(ts)];
}

/**
 * Conditional Langevin samples, `perCondition` per label, driven by the conditional network (its
 * label rows `conditions`, consumed) and by the exact conditional score (label k's law is mixture
 * component k) on the same per-sample streams (purpose `langevin`). `oracleOff` checks that exact
 * score at three points per label and every level against its closed form
 * ({@link componentScoreOff}).
 */
export function conditionalLangevin(
  env: RunEnv,
  model: EpsNet,
  conditions: Record<string, tf.Tensor2D>[],
  mixture: GaussianMixture,
  perCondition: number,
  c: ConditionalLangevinConfig,
): { learned: Float32Array[]; exact: Float32Array[]; oracleOff: number } {
  const s = model.schedule;
  const levels = langevinLevels(s.T, c.levels);
  const sigmas = levels.map((t) => Math.sqrt(1 - s.alphaBar[t]));
  const w = model.net.params.fused();
  const K = conditions.length;
  if (mixture.means.length !== K) {
    throw new Error(`conditionalLangevin: ${K} conditions for ${mixture.means.length} components`);
  }
  const grouped = groupRows(conditions);
  // Whole labels in a batch; label k's samples are the rows k * perCondition .. of its batch.
  const run = (epsFor: (first: number, n: number) => EpsModel) => {
    const x = drawByCondition(K, perCondition, 2, (first, n) => {
      const rows = [first * perCondition, n * perCondition] as const;
      const x0 = tf.mul(sigmas[0], env.streams.perSample("langevin/start", ...rows).normal(2));
      const noise = env.streams.perSample("langevin", ...rows);
      return annealedLangevin(
        scoreFromEpsAtStd(epsFor(first, n), s),
        x0 as tf.Tensor2D,
        sigmas,
        noise,
        {
          stepsPerLevel: c.stepsPerLevel,
          rule: { kind: "ratio", alpha: c.alpha },
          form: "full",
        },
      ).x;
    });
    return Array.from(
      { length: K },
      (_, k) => x.slice(2 * k * perCondition, 2 * (k + 1) * perCondition),
    );
  };
  const oracles = mixture.means.map((mu) =>
    new MixtureOracle({ means: [mu], std: mixture.std, weights: [1] })
  );
  try {
    const learned = run((first, n) =>
      epsFromNetwork(model.net, w, s.T, blockRows(grouped, first, n))
    );
    const exactEps = (first: number, n: number) =>
      epsByGroup(oracles.slice(first, first + n).map((o) => epsFromMixture(o, s)));
    const exact = run(exactEps);
    const probe = Float32Array.from(
      mixture.means.flatMap((m) => [m[0], m[1], m[0] + 1, m[1] - 0.5, m[0] - 2, m[1] + 1.5]),
    );
    const labels = Array.from({ length: 3 * K }, (_, i) => Math.floor(i / 3));
    const score = scoreFromEpsAtStd(exactEps(0, K), s);
    const oracleOff = Math.max(...levels.map((t, i) => {
      const got = tf.tidy(() => score(tf.tensor2d(probe, [3 * K, 2]), sigmas[i]).dataSync());
      const a = Math.sqrt(s.alphaBar[t]);
      return componentScoreOff(got, probe, labels, mixture.means, mixture.std, a, sigmas[i]);
    }));
    return { learned, exact, oracleOff };
  } finally {
    oracles.forEach((o) => o.dispose());
    tf.dispose([w, ...Object.values(grouped), ...conditions.flatMap((f) => Object.values(f))]);
  }
}
