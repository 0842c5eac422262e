/** What every sampler returns. */

/** The samples, the states kept along the way for figures, and the number of model calls. */
export interface SamplerResult {
  /** Final samples, flat row-major. */
  x: Float32Array;
  /** States kept for figures, keyed by the sampler's own step label (documented per sampler). */
  trajectory: Map<number, Float32Array>;
  /** Number of function (network or score) evaluations. */
  nfe: number;
}
