/**
 * Is a figure measured on held-out points? The fraction of the test rows that are rows of the
 * training set, bit for bit:
 *
 *   testInTraining = |{ i : test_i equals some train_j }| / n_test.
 *
 * Points drawn on a stream of their own from a continuous law repeat a float32 training row with
 * probability ~0, so the figure is 0; measured on (part of) the training set it is 1. A likelihood
 * on training points flatters the model by its overfit, which the seed spread hides.
 */
import type { MetricSpec } from "../spec/metrics.ts";

/** The fraction of `test`'s rows (`dim` values each) that equal a row of `train` bit for bit. */
export function testInTraining(test: Float32Array, train: Float32Array, dim: number): number {
  const key = (x: Float32Array, i: number) =>
    Array.from(new Uint32Array(x.buffer, x.byteOffset + 4 * i * dim, dim)).join(",");
  const rows = new Set<string>();
  for (let j = 0; j < train.length / dim; j++) rows.add(key(train, j));
  const n = test.length / dim;
  let hits = 0;
  for (let i = 0; i < n; i++) if (rows.has(key(test, i))) hits++;
  return hits / n;
}

/** The spec of {@link testInTraining} as a run's metric: exact (0 unless the points leak). */
export const TEST_IN_TRAINING_METRIC: MetricSpec = {
  description:
    "fraction of the NLL's test points that are training points, bit for bit: 0 when the figure " +
    "is measured on held-out points",
  gate: { exact: "float64" },
};
