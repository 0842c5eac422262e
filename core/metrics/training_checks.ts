/**
 * Checks of a training run's own machinery, measured in the real run against closed forms: what the
 * EMA and the minibatch loader must do, whatever the data and the network. A bug there moves the
 * samples by less than their seed-to-seed spread at small sizes (planted: the EMA's two rates
 * swapped, every step of an epoch on its first batch), so the sample-quality figures cannot be the
 * only guard; these are exact.
 */

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
 * The rows drawn by the batches of a training's first epoch, as a fraction that are distinct: an
 * epoch is a permutation of the data cut into batches (the remainder dropped), so exactly 1. A
 * loader that repeats a batch, draws with replacement or slices the permutation wrongly gives less.
 */
export class FirstEpochRows {
  readonly #seen: Uint8Array;
  #drawn = 0;
  #distinct = 0;
  #batches = 0;

  /** `n` data rows; an epoch holds `batchesPerEpoch` batches. */
  constructor(n: number, readonly batchesPerEpoch: number) {
    this.#seen = new Uint8Array(n);
  }

  /** Count the rows of the first epoch's next batch (batches after the epoch are ignored). */
  add(rows: ArrayLike<number>): void {
    if (this.#batches >= this.batchesPerEpoch) return;
    this.#batches++;
    for (let i = 0; i < rows.length; i++) {
      this.#drawn++;
      if (!this.#seen[rows[i]]) {
        this.#seen[rows[i]] = 1;
        this.#distinct++;
      }
    }
  }

  /** Batches counted so far (at most `batchesPerEpoch`). */
  get batches(): number {
    return this.#batches;
  }

  /** Distinct rows / rows drawn over the whole first epoch; NaN until it is complete. */
  distinctFraction(): number {
    return this.#batches === this.batchesPerEpoch && this.#drawn > 0
      ? this.#distinct / this.#drawn
      : NaN;
  }
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
