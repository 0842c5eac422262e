/**
 * The exact score of a data set noised at level sigma (x0 + sigma eps), and draws of that noised
 * law: the oracle beside every score network. Mixtures (closed form), seed 000's ring and the
 * swiss roll (quadratures along their curves, core/data/ring.ts and core/data/swiss_roll.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { marginal, MixtureOracle, sampleMixture } from "../data/mixtures.ts";
import { ringMarginal } from "../data/ring.ts";
import { swissRollMarginal } from "../data/swiss_roll.ts";
import type { Stream } from "../runtime/random.ts";

/** A noised law with its exact score (free it with `dispose`). */
export interface NoisedLaw {
  /** grad log p_sigma at rows of x. */
  score(x: tf.Tensor2D): tf.Tensor2D;
  /** `n` draws of p_sigma (flat, 2 per row). */
  sample(n: number, stream: Stream): Float32Array;
  dispose(): void;
}

/** The law of x0 + sigma eps for x0 from `dataset`; refuses data sets without an exact score. */
export function noisedLaw(dataset: Dataset, sigma: number): NoisedLaw {
  const m = dataset.mixture;
  if (m) {
    const oracle = new MixtureOracle(m);
    return {
      score: (x) => oracle.score(x, 1, sigma),
      sample: (n, stream) => sampleMixture(marginal(m, 1, sigma), n, stream).x,
      dispose: () => oracle.dispose(),
    };
  }
  const curve = dataset.name === "ring"
    ? ringMarginal
    : dataset.name === "swiss_roll"
    ? swissRollMarginal
    : undefined;
  if (!curve) throw new Error(`${dataset.name}: no exact score of its noised law`);
  return {
    score: (x) => tf.tensor2d(Float32Array.from(curve(x.dataSync(), 1, sigma).score), x.shape),
    sample: (n, stream) => {
      const x0 = dataset.sample(n, stream).x;
      return x0.map((v) => v + sigma * stream.normal());
    },
    dispose: () => {},
  };
}
