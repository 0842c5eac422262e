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
import { epsFromNetwork } from "../models.ts";
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
 * [1, width], consumed), `c.perCondition` per condition (see {@link sampleByCondition}).
 */
export async function sampleConditions(
  env: RunEnv,
  model: EpsNet,
  conditions: Record<string, tf.Tensor2D>[],
  c: ConditionalSamplingConfig,
): Promise<{ x: Float32Array; condition: Int32Array; byCondition: Float32Array[] }> {
  const phase = env.progress.phase("sample", 1);
  const w = model.net.params.fused();
  try {
    return sampleByCondition(
      (k) => epsFromNetwork(model.net, w, model.schedule.T, conditions[k]),
      conditions.length,
      c.perCondition,
      model.schedule,
      env.streams,
      { dim: 2, variance: c.variance },
    );
  } finally {
    tf.dispose([w, ...conditions.flatMap((f) => Object.values(f))]);
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
 * `perCondition` ancestral samples for each condition k = 0..count-1 from the model `epsFor(k)`,
 * concatenated in condition order; also returns the requested condition of every row.
 */
export function sampleByCondition(
  epsFor: (k: number) => EpsModel,
  count: number,
  perCondition: number,
  schedule: DiscreteSchedule,
  streams: Streams,
  o: { dim: number; variance: DdpmVariance; name?: string },
): { x: Float32Array; condition: Int32Array; byCondition: Float32Array[] } {
  const byCondition: Float32Array[] = [];
  for (let k = 0; k < count; k++) {
    const noise = streams.perSample(o.name ?? "sample", k * perCondition, perCondition);
    byCondition.push(
      ddpmSample(epsFor(k), schedule, noise, { dim: o.dim, variance: o.variance }).x,
    );
  }
  const x = new Float32Array(count * perCondition * o.dim);
  byCondition.forEach((b, k) => x.set(b, k * perCondition * o.dim));
  const condition = Int32Array.from(
    { length: count * perCondition },
    (_, i) => Math.floor(i / perCondition),
  );
  return { x, condition, byCondition };
}
