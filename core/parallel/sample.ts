/**
 * DDPM sampling split across workers. Sample i draws its noise from its own stream (run seed,
 * purpose, i), so the samples are the same bytes whatever the number of workers: with `pool` null
 * (the serial mode) the calling thread draws them all, with a pool each worker draws one
 * contiguous range and the ranges are joined in order.
 */
import type { Network } from "../nn/network.ts";
import type { DdpmVariance } from "../samplers/ddpm.ts";
import { splitRange, type WorkerPool } from "./pool.ts";
import { ddpmSampleRangeOf } from "./tasks.ts";

/** Options of {@link ddpmSampleParallel}. */
export interface ParallelSampleOptions {
  /** The schedule's betas (its length is T). */
  betas: Float64Array;
  /** The per-sample streams are keyed by (seed, name, index). */
  seed: number;
  name: string;
  n: number;
  dim: number;
  variance?: DdpmVariance;
  /** Names the model in the workers' caches (one spec per key); default "ddpm". */
  modelKey?: string;
}

/** `n` ancestral DDPM samples of `net`, [n * dim] row-major. */
export async function ddpmSampleParallel(
  pool: WorkerPool | null,
  net: Network,
  o: ParallelSampleOptions,
): Promise<Float32Array> {
  const args = (start: number, count: number) => ({
    betas: o.betas,
    seed: o.seed,
    name: o.name,
    start,
    count,
    dim: o.dim,
    variance: o.variance,
  });
  if (!pool) return ddpmSampleRangeOf(net, args(0, o.n));
  const weights = net.params.flat.dataSync() as Float32Array;
  const model = { key: o.modelKey ?? "ddpm", spec: net.spec, weights };
  const parts = await Promise.all(
    splitRange(o.n, pool.size).map((r, i) =>
      pool.run(i, "ddpmSample", { net: model, ...args(r.start, r.count) })
    ),
  );
  const out = new Float32Array(o.n * o.dim);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
