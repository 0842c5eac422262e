/**
 * A sampler's loop against the chain it documents, replayed step by step from the same per-sample
 * noise. The steps themselves are checked elsewhere against closed forms (the reverse kernel, the
 * corrector's SNR, the solvers' order); this checks what a loop does around them: the order of the
 * steps, which ones draw noise, the last step's form, the steps it skips. Per-sample streams make
 * the replay exact: the same (seed, purpose, index) gives the same draws in the same order.
 */
import * as tf from "@tensorflow/tfjs";
import type { SampleNoise } from "../runtime/random.ts";

/** A sampler's chain as its documentation states it. */
export interface Chain {
  /** The state before the first step (from the sample's noise, or a stream of its own). */
  start(noise: SampleNoise): tf.Tensor2D;
  /** Number of steps. */
  steps: number;
  /** How many noise draws step k takes (the sample's next draws, in the order the step uses them). */
  draws(k: number): number;
  /** Step k (0-based, in sampling order) from x, with its noise draws z. */
  step(x: tf.Tensor2D, k: number, z: tf.Tensor2D[]): tf.Tensor2D;
}

/**
 * Fraction of rows whose sampler output is more than `tol` from the replayed chain in some
 * coordinate: 0 when the loop is the chain (float32 reordering moves a row by far less than 1e-4;
 * the samplers' smallest noise scale here is ~1e-2). `noise` gives a fresh stream of the same
 * per-sample draws at each call.
 */
export function chainReplayOff(
  sample: (noise: SampleNoise) => Float32Array,
  chain: Chain,
  noise: () => SampleNoise,
  tol = 1e-4,
): number {
  const got = sample(noise());
  const draws = noise();
  let x = chain.start(draws);
  const dim = x.shape[1];
  for (let k = 0; k < chain.steps; k++) {
    const z = Array.from({ length: chain.draws(k) }, () => draws.normal(dim));
    const next = chain.step(x, k, z);
    tf.dispose([x, ...z]);
    x = next;
  }
  const want = x.dataSync();
  x.dispose();
  if (want.length !== got.length) return 1;
  let off = 0;
  for (let i = 0; i < want.length; i += dim) {
    let far = false;
    for (let d = 0; d < dim; d++) far ||= !(Math.abs(got[i + d] - want[i + d]) <= tol);
    if (far) off++;
  }
  return off / (want.length / dim);
}
