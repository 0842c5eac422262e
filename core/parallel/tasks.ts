/**
 * Work a {@link WorkerPool} worker can do: pure functions of plain data (a network's spec and
 * weights, a schedule's betas, rows of data, stream keys), so the same call gives the same bytes in
 * any worker or in the calling thread. Serial modes call these functions directly.
 */
import * as tf from "@tensorflow/tfjs";
import { Network } from "../nn/network.ts";
import type { NetworkSpec } from "../nn/spec.ts";
import { lossAndGradient } from "../nn/train.ts";
import { epsFromNetwork } from "../models.ts";
import { ddpmLoss } from "../objectives/ddpm.ts";
import { scheduleFromBetas } from "../noise/schedules.ts";
import { SampleNoise } from "../runtime/random.ts";
import { ddpmSample, type DdpmVariance } from "../samplers/ddpm.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** A network as plain data; `key` names the model (same key, same spec) across calls. */
export interface NetworkData {
  key: string;
  spec: NetworkSpec;
  weights: Float32Array;
}

// One model per thread, kept between calls so that a training step only uploads new weights.
let cached: { key: string; net: Network } | undefined;

/** A network holding `d`'s weights: the thread's cached one when `d.key` matches, else a new one. */
function networkOf(d: NetworkData): Network {
  if (cached?.key !== d.key) {
    cached?.net.dispose();
    cached = { key: d.key, net: new Network(d.spec, d.weights) };
  } else {
    tf.tidy(() => cached!.net.params.flat.assign(tf.tensor1d(d.weights)));
  }
  return cached.net;
}

/** Dispose the thread's cached model (a worker's last act; tests that count tensors). */
export function releaseModel(): true {
  cached?.net.dispose();
  cached = undefined;
  return true;
}

/** Arguments of {@link ddpmSampleRange}. */
export interface DdpmSampleArgs {
  net: NetworkData;
  betas: Float64Array;
  /** The per-sample streams: samples start .. start+count-1 of (seed, name). */
  seed: number;
  name: string;
  start: number;
  count: number;
  dim: number;
  variance?: DdpmVariance;
}

/** Ancestral DDPM samples `start .. start+count-1` of the stream (seed, name): their final x. */
export function ddpmSampleRange(a: DdpmSampleArgs): Float32Array {
  return ddpmSampleRangeOf(networkOf(a.net), a);
}

/** {@link ddpmSampleRange} with the network given (the serial mode: the caller's own). */
export function ddpmSampleRangeOf(net: Network, a: Omit<DdpmSampleArgs, "net">): Float32Array {
  const w = net.params.fused();
  try {
    const T = a.betas.length;
    return ddpmSample(
      epsFromNetwork(net, w, T),
      scheduleFromBetas(a.betas),
      new SampleNoise(a.seed, a.name, a.start, a.count),
      { dim: a.dim, variance: a.variance },
    ).x;
  } finally {
    tf.dispose(w);
  }
}

/** Arguments of {@link ddpmGradient}: one shard of a minibatch. */
export interface DdpmGradientArgs {
  net: NetworkData;
  betas: Float64Array;
  /** The shard's rows [n, dim], time indices [n] and noise [n, dim]. */
  x0: Float32Array;
  t: Int32Array;
  eps: Float32Array;
  dim: number;
  /** The shard's share of the minibatch (n / B): the minibatch loss is the sum of the shards'. */
  share: number;
}

/** share * (the DDPM loss of the shard) and its gradient over the flat weights. */
export function ddpmGradient(a: DdpmGradientArgs): { loss: number; grad: Float32Array } {
  return ddpmGradientOf(networkOf(a.net), a);
}

/** {@link ddpmGradient} with the network given (the serial mode: the caller's own). */
export function ddpmGradientOf(
  net: Network,
  a: Omit<DdpmGradientArgs, "net">,
): { loss: number; grad: Float32Array } {
  const schedule = scheduleFromBetas(a.betas);
  const T = a.betas.length;
  const n = a.t.length;
  const [loss, grad] = tidyValues(() => {
    const r = lossAndGradient(net.params, (w) =>
      tf.mul(
        a.share,
        ddpmLoss(
          epsFromNetwork(net, w, T),
          schedule,
          tf.tensor2d(a.x0, [n, a.dim]),
          a.t,
          tf.tensor2d(a.eps, [n, a.dim]),
        ),
      ) as tf.Scalar, 0);
    return [r.value, r.grad];
  });
  return { loss: loss[0], grad };
}

/** The pool's tasks by name. */
export const TASKS = {
  ready: (_: Record<string, never>): true => true,
  releaseModel: (_: Record<string, never>): true => releaseModel(),
  ddpmSample: ddpmSampleRange,
  ddpmGradient,
};

/** A task's name. */
export type TaskName = keyof typeof TASKS;
/** A task's arguments. */
export type TaskArgs<K extends TaskName> = Parameters<(typeof TASKS)[K]>[0];
/** A task's result. */
export type TaskResult<K extends TaskName> = ReturnType<(typeof TASKS)[K]>;
