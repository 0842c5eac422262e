/**
 * Shuffled minibatches, as torch's DataLoader(shuffle=True, drop_last=True) in the seeds'
 * `make_loader`: every epoch a fresh permutation, cut into full batches, the remainder dropped.
 */
import type { Stream } from "../runtime/random.ts";

/** Row indices of the minibatch at each training step. */
export class Minibatches {
  readonly batchesPerEpoch: number;
  #perm: Int32Array | null = null;
  #epoch = -1;

  constructor(readonly n: number, readonly batchSize: number, readonly stream: Stream) {
    if (batchSize > n) throw new RangeError(`batch size ${batchSize} exceeds the ${n} data points`);
    this.batchesPerEpoch = Math.floor(n / batchSize);
  }

  /** Indices of the batch at global step `step` (steps must be asked for in increasing order). */
  at(step: number): Int32Array {
    const epoch = Math.floor(step / this.batchesPerEpoch);
    while (this.#epoch < epoch) {
      this.#perm = this.stream.permutation(this.n);
      this.#epoch++;
    }
    const b = step % this.batchesPerEpoch;
    return this.#perm!.subarray(b * this.batchSize, (b + 1) * this.batchSize);
  }

  /** The current epoch and (a copy of) its permutation (for checkpoints). */
  state(): { epoch: number; perm: Int32Array | null } {
    return { epoch: this.#epoch, perm: this.#perm ? this.#perm.slice() : null };
  }

  /** Continue from a saved state. */
  restore(s: { epoch: number; perm: ArrayLike<number> | null }): void {
    this.#epoch = s.epoch;
    this.#perm = s.perm ? Int32Array.from(s.perm) : null;
  }
}

/** Rows `idx` of a flat row-major array with `dim` columns. */
export function gatherRows(
  x: ArrayLike<number>,
  dim: number,
  idx: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) {
    for (let d = 0; d < dim; d++) out[i * dim + d] = x[idx[i] * dim + d];
  }
  return out;
}
