/**
 * Input checks shared by the metrics: a metric never returns NaN silently. Too few points or a
 * non-finite coordinate is a {@link MetricInputError} that names the input, the row and the value.
 */

/** A metric was given input it cannot measure. */
export class MetricInputError extends Error {
  override name = "MetricInputError";
}

/** Check rows of `dim` numbers: at least `min` rows, all finite. Returns the number of rows. */
export function checkPoints(what: string, x: ArrayLike<number>, dim: number, min = 1): number {
  if (x.length % dim !== 0) {
    throw new MetricInputError(`${what}: ${x.length} numbers do not form rows of ${dim}`);
  }
  const n = x.length / dim;
  if (n < min) {
    throw new MetricInputError(
      `${what}: needs at least ${min} point${min > 1 ? "s" : ""}, got ${n}`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new MetricInputError(
        `${what}: row ${Math.floor(i / dim)} column ${i % dim} is ${x[i]} (not a finite number)`,
      );
    }
  }
  return n;
}

/** Check that `x` holds whole rows of `dim` numbers (finite or not). Returns the number of rows. */
export function checkRows(what: string, x: ArrayLike<number>, dim: number): number {
  if (x.length % dim !== 0) {
    throw new MetricInputError(`${what}: ${x.length} numbers do not form rows of ${dim}`);
  }
  return x.length / dim;
}

/** Number of rows with a non-finite coordinate. */
export function countNonFinite(x: ArrayLike<number>, dim: number): number {
  let bad = 0;
  for (let i = 0; i < x.length; i += dim) {
    for (let d = 0; d < dim; d++) {
      if (!Number.isFinite(x[i + d])) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

/** The rows whose coordinates are all finite (a sampler that blew up on some samples). */
export function finiteRows(x: Float32Array, dim: number): Float32Array {
  if (countNonFinite(x, dim) === 0) return x;
  const out: number[] = [];
  for (let i = 0; i < x.length; i += dim) {
    const row = x.subarray(i, i + dim);
    if (row.every(Number.isFinite)) out.push(...row);
  }
  return Float32Array.from(out);
}

/** Largest Euclidean distance between two rows of a flat 2-column array (exact, O(n^2)). */
export function maxPairwiseDistance(x: Float32Array): number {
  let best = 0;
  for (let i = 0; i < x.length; i += 2) {
    for (let j = i + 2; j < x.length; j += 2) {
      const d = (x[i] - x[j]) ** 2 + (x[i + 1] - x[j + 1]) ** 2;
      if (d > best) best = d;
    }
  }
  return Math.sqrt(best);
}
