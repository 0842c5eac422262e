/**
 * Data-parallel training of a DDPM noise predictor: each minibatch is split into one contiguous
 * shard per worker; each shard's loss is weighted by its share of the batch (n_k / B), so the
 * minibatch loss and gradient are the sums over shards,
 *
 *   L = sum_k (n_k / B) L_k,   grad L = sum_k (n_k / B) grad L_k,
 *
 * added in shard order, then one optimizer step in the calling thread. The serial mode (`pool`
 * null) computes the same shards one after the other in the calling thread and adds them the same
 * way: the two give identical bytes. Both differ from an unsharded step in the last bits (the
 * batch mean is summed in two parts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "../nn/adam.ts";
import type { Network } from "../nn/network.ts";
import { splitRange, type WorkerPool } from "./pool.ts";
import { type DdpmGradientArgs, ddpmGradientOf } from "./tasks.ts";

/** One minibatch: rows x0 [B, dim], time indices t [B], noise eps [B, dim]. */
export interface DdpmBatch {
  x0: Float32Array;
  t: Int32Array;
  eps: Float32Array;
  dim: number;
}

/**
 * One data-parallel optimizer step over `shards` shards (the pool's size when there is a pool).
 * `modelKey` names the model in the workers' caches (one spec per key). Returns the minibatch loss.
 */
export async function ddpmDataParallelStep(
  pool: WorkerPool | null,
  shards: number,
  net: Network,
  optimizer: Adam,
  betas: Float64Array,
  b: DdpmBatch,
  modelKey = "ddpm",
): Promise<number> {
  if (pool && pool.size !== shards) {
    throw new RangeError(`shards (${shards}) must equal the pool's workers (${pool.size})`);
  }
  const B = b.t.length;
  const args = splitRange(B, shards).map(({ start, count }): Omit<DdpmGradientArgs, "net"> => ({
    betas,
    x0: b.x0.slice(start * b.dim, (start + count) * b.dim),
    t: b.t.slice(start, start + count),
    eps: b.eps.slice(start * b.dim, (start + count) * b.dim),
    dim: b.dim,
    share: count / B,
  }));
  let parts;
  if (pool) {
    const model = {
      key: modelKey,
      spec: net.spec,
      weights: net.params.flat.dataSync() as Float32Array,
    };
    parts = await Promise.all(
      args.map((a, i) => pool.run(i, "ddpmGradient", { net: model, ...a })),
    );
  } else {
    parts = args.map((a) => ddpmGradientOf(net, a));
  }
  const grad = new Float32Array(parts[0].grad.length);
  let loss = 0;
  for (const p of parts) {
    loss += p.loss;
    for (let i = 0; i < grad.length; i++) grad[i] += p.grad[i];
  }
  tf.tidy(() => optimizer.update(tf.tensor1d(grad)));
  return loss;
}
