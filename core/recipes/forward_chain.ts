/**
 * The forward Markov chain run step by step, x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) z, against
 * its closed form q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I) (seed 001's derivation):
 * per point, the standardised residual (x_t - sqrt(alphaBar_t) x_0) / sqrt(1 - alphaBar_t) must be
 * N(0, I); over points, the chain's states must follow the data's noised law (for a mixture, the
 * mixture marginal(a, s) in closed form).
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { marginal } from "../data/mixtures.ts";
import { mixtureDataset } from "../data/datasets.ts";
import { type DiscreteSchedule, forwardStep } from "../noise/schedules.ts";
import type { RunEnv } from "../runtime/env.ts";

/** The chain's states at the kept time indices. */
export async function forwardChain(
  env: RunEnv,
  schedule: DiscreteSchedule,
  x0: Float32Array,
  dim: number,
  keep: number[],
): Promise<Map<number, Float32Array>> {
  const n = x0.length / dim, last = Math.max(...keep);
  const stream = env.streams.get("chain");
  const states = new Map<number, Float32Array>();
  const phase = env.progress.phase("chain", last + 1);
  let x = tf.tensor2d(x0, [n, dim]);
  for (let t = 0; t <= last; t++) {
    const z = tf.tensor2d(stream.normals(n * dim), [n, dim]);
    const next = forwardStep(schedule, x, t, z);
    tf.dispose([x, z]);
    x = next;
    if (keep.includes(t)) states.set(t, x.dataSync() as Float32Array);
    await phase.tick();
  }
  x.dispose();
  phase.done();
  return states;
}

/**
 * The standardised residuals' mean and variance over every coordinate of every point, and the
 * variance's distance from 1; and the mean coefficient: the least-squares slope of x_t on x_0
 * (through 0), whose expectation is sqrt(alphaBar_t), as |slope / sqrt(alphaBar_t) - 1|.
 */
export function residualMoments(
  xt: Float32Array,
  x0: Float32Array,
  alphaBar: number,
): { mean: number; variance: number; varianceError: number; slopeError: number } {
  const a = Math.sqrt(alphaBar), s = Math.sqrt(1 - alphaBar);
  let sum = 0, sq = 0, xy = 0, xx = 0;
  for (let i = 0; i < xt.length; i++) {
    const r = (xt[i] - a * x0[i]) / s;
    sum += r;
    sq += r * r;
    xy += xt[i] * x0[i];
    xx += x0[i] * x0[i];
  }
  const variance = sq / xt.length;
  return {
    mean: sum / xt.length,
    variance,
    varianceError: Math.abs(variance - 1),
    slopeError: Math.abs(xy / xx / a - 1),
  };
}

/** The noised law of a mixture data set at time t, as a data set the quality measure can judge. */
export function marginalDataset(d: Dataset, schedule: DiscreteSchedule, t: number): Dataset {
  const a = Math.sqrt(schedule.alphaBar[t]), s = Math.sqrt(1 - schedule.alphaBar[t]);
  return mixtureDataset(`${d.name}@t${t}`, marginal(d.mixture!, a, s));
}

/** `length` values: `x` repeated from its start (more draws of the same data points). */
export function repeatRows(x: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += x.length) {
    out.set(x.subarray(0, Math.min(x.length, length - i)), i);
  }
  return out;
}
