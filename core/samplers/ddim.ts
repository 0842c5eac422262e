/**
 * DDIM (Song, Meng & Ermon 2021) on any decreasing-noise sequence of alphaBar values
 * a_0 < a_1 < ... (noisiest first: the sampler walks the list from a_0 up):
 *
 *   x0_hat = (x - sqrt(1 - a_k) eps) / sqrt(a_k)
 *   sigma  = eta sqrt((1 - a_{k+1}) / (1 - a_k)) sqrt(1 - a_k / a_{k+1})
 *   x     <- sqrt(a_{k+1}) x0_hat + sqrt(1 - a_{k+1} - sigma^2) eps + sigma z
 *
 * eta = 0 is deterministic (a discretisation of the probability-flow ODE); eta = 1 matches DDPM's
 * posterior variance. The model is asked for eps at step k (the caller maps k to its own time: a
 * discrete index, or t of a VP SDE with a_k = mean(t_k)^2). The last step goes to a = 1 (x0_hat).
 */
import * as tf from "@tensorflow/tfjs";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";

/** Sample with DDIM from N(0, I); NFE = number of alphaBar values. */
export function ddimSample(
  eps: (x: tf.Tensor2D, k: number) => tf.Tensor2D,
  alphaBars: ArrayLike<number>,
  noise: SampleNoise,
  o: { dim: number; eta: number },
): SamplerResult {
  let x = noise.normal(o.dim);
  const K = alphaBars.length;
  for (let k = 0; k < K; k++) {
    const a = alphaBars[k], an = k + 1 < K ? alphaBars[k + 1] : 1;
    const next = tf.tidy(() => {
      const e = eps(x, k);
      const x0 = tf.div(tf.sub(x, tf.mul(Math.sqrt(1 - a), e)), Math.sqrt(a));
      const sigma = o.eta * Math.sqrt((1 - an) / (1 - a)) * Math.sqrt(1 - a / an);
      const mean = tf.add(
        tf.mul(Math.sqrt(an), x0),
        tf.mul(Math.sqrt(Math.max(1 - an - sigma * sigma, 0)), e),
      );
      return (sigma > 0 ? tf.add(mean, tf.mul(sigma, noise.normal(o.dim))) : mean) as tf.Tensor2D;
    });
    x.dispose();
    x = next;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory: new Map(), nfe: K };
}
