/**
 * Sampling in batches: samples `start .. start+count-1` of each batch draw from their own
 * per-sample streams (see `SampleNoise`), so the samples, and every state kept along the way,
 * are the same bytes whatever the batch size. Batches bound memory (the model's activations grow
 * with the batch) and are the unit that workers or shards can split.
 */
import type { SampleNoise, Streams } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";

/** Concatenate batches' results in order (states kept at the same labels, NFE of one batch). */
function concat(parts: SamplerResult[]): SamplerResult {
  const cat = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  const trajectory = new Map<number, Float32Array>();
  for (const key of parts[0].trajectory.keys()) {
    trajectory.set(key, cat(parts.map((p) => p.trajectory.get(key)!)));
  }
  return { x: cat(parts.map((p) => p.x)), trajectory, nfe: parts[0].nfe };
}

/**
 * Draw `n` samples of the purpose `name`, `batchSize` at a time: `sample(noise)` runs a sampler
 * on one batch's noise. The result is that of one batch of `n`.
 */
export function sampleInBatches(
  streams: Streams,
  name: string,
  n: number,
  batchSize: number,
  sample: (noise: SampleNoise) => SamplerResult,
): SamplerResult {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const parts: SamplerResult[] = [];
  for (let start = 0; start < n; start += batchSize) {
    parts.push(sample(streams.perSample(name, start, Math.min(batchSize, n - start))));
  }
  return parts.length === 1 ? parts[0] : concat(parts);
}
