/**
 * Checks of a training run's own machinery, measured in the real run against closed forms: what the
 * EMA and the minibatch loader must do, whatever the data and the network. A bug there moves the
 * samples by less than their seed-to-seed spread at small sizes (planted: the EMA's two rates
 * swapped, every step of an epoch on its first batch), so the sample-quality figures cannot be the
 * only guard; these are exact.
 */
import type { Stream } from "../runtime/random.ts";

/**
 * Fraction of weights whose average after the first EMA update is off the closed form
 *
 *   avg_1 = m_0 w_0 + (1 - m_0) w_1,   m_0 = min(rate, (1 + 0) / (10 + 0)) = min(rate, 1/10)
 *
 * (the average starts at the initial weights w_0; w_1 are the weights after the first optimizer
 * step; m_n = min(rate, (1 + n) / (10 + n)) is TensorFlow's warm-up) by more than 4 float32 ulps of
 * the inputs, 4 2^-23 (|w_0| + |w_1|). Float32 rounding stays within that in any order of the
 * operations (m_0 w_0 + (1 - m_0) w_1 within 1 of it, w_0 + (1 - m_0) (w_1 - w_0) within ~5 ulps of
 * its terms |0.1 w_0| + |0.9 w_1| where a weight crosses zero: hence the inputs' scale); a wrong
 * rate, warm-up or update rule moves every weight that moved by a fraction of its step (~lr, far
 * above the band). 0 for a correct average.
 */
export function emaFirstUpdateOff(
  w0: Float32Array,
  w1: Float32Array,
  avg1: Float32Array,
  rate: number,
): number {
  if (w0.length !== w1.length || w0.length !== avg1.length) {
    throw new RangeError(`emaFirstUpdateOff: lengths ${w0.length}, ${w1.length}, ${avg1.length}`);
  }
  const m0 = Math.min(rate, 1 / 10);
  let off = 0;
  for (let i = 0; i < w0.length; i++) {
    const want = m0 * w0[i] + (1 - m0) * w1[i];
    if (Math.abs(avg1[i] - want) > 4 * 2 ** -23 * (Math.abs(w0[i]) + Math.abs(w1[i]))) off++;
  }
  return off / w0.length;
}

/**
 * The rows drawn by the batches of a training's first `epochs` epochs, kept for the loader checks
 * ({@link EarlyEpochRows.distinctFraction}, {@link loaderReplayOff}).
 */
export class EarlyEpochRows {
  readonly #rows: Int32Array;
  #batches = 0;

  /** An epoch holds `batchesPerEpoch` batches of `batchSize` rows; the first `epochs` are kept. */
  constructor(
    readonly batchesPerEpoch: number,
    readonly batchSize: number,
    readonly epochs: number,
  ) {
    this.#rows = new Int32Array(epochs * batchesPerEpoch * batchSize);
  }

  /** Keep the rows of the next batch (batches after the kept epochs are ignored). */
  add(rows: ArrayLike<number>): void {
    if (this.complete) return;
    if (rows.length !== this.batchSize) {
      throw new RangeError(`a batch of ${rows.length} rows, ${this.batchSize} expected`);
    }
    this.#rows.set(rows, this.#batches * this.batchSize);
    this.#batches++;
  }

  /** Batches kept so far. */
  get batches(): number {
    return this.#batches;
  }

  /** Are all the kept epochs' batches in? */
  get complete(): boolean {
    return this.#batches === this.epochs * this.batchesPerEpoch;
  }

  /** The kept rows, batch after batch (all of them once {@link complete}). */
  rows(): Int32Array {
    return this.#rows.subarray(0, this.#batches * this.batchSize);
  }

  /**
   * Distinct rows / rows drawn over the whole first epoch; NaN until it is complete. An epoch is a
   * permutation of the data cut into batches (the remainder dropped), so exactly 1; a loader that
   * repeats a batch, draws with replacement or slices the permutation wrongly gives less.
   */
  distinctFraction(n: number): number {
    const drawn = this.batchesPerEpoch * this.batchSize;
    if (this.#batches < this.batchesPerEpoch || drawn === 0) return NaN;
    const seen = new Uint8Array(n);
    let distinct = 0;
    for (let k = 0; k < drawn; k++) {
      const r = this.#rows[k];
      if (!seen[r]) {
        seen[r] = 1;
        distinct++;
      }
    }
    return distinct / drawn;
  }
}

/**
 * Fraction of the rows drawn over a training's first epochs (`drawn`, batch after batch, whole
 * epochs) that differ from the loader's documented law replayed from its stream's start: each epoch
 * a fresh Fisher-Yates permutation of all `n` rows (for i = n - 1 down to 1, swap i with
 * j = int(i + 1) drawn from the stream), continuing the stream from the epoch before, cut into
 * batches of `batchSize` from its start with the remainder dropped (torch's DataLoader with
 * shuffle and drop_last). 0 for a correct loader. The replay sees what the distinct-rows check
 * cannot: one permutation reused every epoch, a permutation of fewer rows than the data (the same
 * rows dropped every epoch), batches cut at the wrong offsets, a stream shared with other draws.
 * The shuffle is written here again on purpose (not `Stream.permutation`): the law is the oracle,
 * so a bug in the loader's own permutation shows.
 */
export function loaderReplayOff(
  drawn: Int32Array,
  n: number,
  batchSize: number,
  stream: Stream,
): number {
  const perEpoch = Math.floor(n / batchSize) * batchSize;
  if (perEpoch === 0 || drawn.length === 0 || drawn.length % perEpoch !== 0) {
    throw new RangeError(
      `loaderReplayOff: ${drawn.length} rows drawn is not whole epochs of ${perEpoch} rows`,
    );
  }
  const order = new Int32Array(n);
  let off = 0;
  for (let e = 0; e * perEpoch < drawn.length; e++) {
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = stream.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (let k = 0; k < perEpoch; k++) if (drawn[e * perEpoch + k] !== order[k]) off++;
  }
  return off / drawn.length;
}

/**
 * Fraction of weights whose Adam moments after the first update break their closed form: from
 * m_0 = v_0 = 0, m_1 = (1 - beta1) g_1 and v_1 = (1 - beta2) g_1^2, so
 *
 *   v_1 = (1 - beta2) (m_1 / (1 - beta1))^2
 *
 * within 1e-5 relative (the float32 rounding of both moments is a few 1e-7). beta1 and beta2 are
 * Kingma & Ba's 0.9 and 0.999 unless the options set them. A wrong beta, or a second moment of
 * the wrong thing (|g|, m), breaks it on every weight with a gradient; the first update's move
 * (`Trained.firstStep`) cannot see the betas, which its bias correction cancels.
 */
export function adamMomentsOff(
  m1: Float32Array,
  v1: Float32Array,
  beta1 = 0.9,
  beta2 = 0.999,
): number {
  if (m1.length !== v1.length) {
    throw new RangeError(`adamMomentsOff: lengths ${m1.length}, ${v1.length}`);
  }
  let off = 0;
  for (let i = 0; i < m1.length; i++) {
    const want = (1 - beta2) * (m1[i] / (1 - beta1)) ** 2;
    if (!(Math.abs(v1[i] - want) <= 1e-5 * want + 1e-37)) off++;
  }
  return off / m1.length;
}
