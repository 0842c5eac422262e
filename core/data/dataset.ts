/** What a data set is: a name, a dimension, a sampler, and the closed-form law when there is one. */
import type { Stream } from "../runtime/random.ts";
import type { GaussianMixture } from "./mixtures.ts";

/** Points (flat, `dim` numbers per row) and, where the data set has classes, their labels. */
export interface Sample {
  x: Float32Array;
  labels?: Int32Array;
}

/** A data set: a name, a dimension, a sampler, and the closed-form law when there is one. */
export interface Dataset {
  readonly name: string;
  readonly dim: number;
  /** The Gaussian mixture the data come from, if they do (the oracle of metrics and tests). */
  readonly mixture?: GaussianMixture;
  /** Number of classes of `labels`, if the data set has labels. */
  readonly classes?: number;
  /** Draw `n` points from the stream. */
  sample(n: number, stream: Stream): Sample;
}
