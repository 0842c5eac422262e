/**
 * Stochastic gradient Langevin dynamics (Welling & Teh 2011; seed 002):
 *
 *   theta <- theta + (eps_k / 2) g_B(theta) + sqrt(eps_k) z,
 *
 * g_B the minibatch estimate of grad log p(theta | D), eps_k = a (b + k)^(-gamma) (gamma = 0: a
 * constant step). With the full data as the batch this is ULA's "half" form. Chains run
 * independently, each drawing its minibatches and noise from its own per-chain stream; float64 JS.
 */
import type { Stream } from "../runtime/random.ts";

/** The step schedule eps_k = a (b + k)^(-gamma). */
export interface SgldSteps {
  a: number;
  b: number;
  gamma: number;
}

/** Options of {@link sgld}. */
export interface SgldOptions {
  steps: SgldSteps;
  iterations: number;
  /** Rows per minibatch (drawn with replacement); the data size for full-batch Langevin. */
  batchSize: number;
  /** Rows of the data. */
  n: number;
  dim: number;
}

/**
 * Run one chain per stream from `start` (dim per chain); `gradient(theta, batch, out)` writes the
 * estimate on the rows `batch` (undefined: every row). Returns the final states (flat).
 */
export function sgld(
  gradient: (theta: Float64Array, out: Float64Array, batch?: Int32Array) => void,
  start: Float64Array,
  streams: Stream[],
  o: SgldOptions,
): Float64Array {
  const { dim } = o;
  const out = Float64Array.from(start);
  const theta = new Float64Array(dim), g = new Float64Array(dim);
  const full = o.batchSize >= o.n;
  const batch = new Int32Array(Math.min(o.batchSize, o.n));
  streams.forEach((stream, c) => {
    for (let d = 0; d < dim; d++) theta[d] = out[c * dim + d];
    for (let k = 0; k < o.iterations; k++) {
      const eps = o.steps.a * (o.steps.b + k) ** -o.steps.gamma;
      if (!full) { for (let j = 0; j < batch.length; j++) batch[j] = stream.int(o.n); }
      gradient(theta, g, full ? undefined : batch);
      for (let d = 0; d < dim; d++) {
        theta[d] += (eps / 2) * g[d] + Math.sqrt(eps) * stream.normal();
      }
    }
    for (let d = 0; d < dim; d++) out[c * dim + d] = theta[d];
  });
  return out;
}
