/**
 * Euler-Maruyama on the reverse-time SDE (Anderson 1982; Song et al. 2021):
 *
 *   dx = [f(x, t) - g(t)^2 s(x, t)] dt + g(t) dw_bar,  from t = T down to t = tEnd,
 *
 * on the grid t_k = T - k (T - tEnd) / N: x <- x - [f - g^2 s] h + g sqrt(h) z with h = t_k - t_{k+1}.
 * The last step adds no noise (it returns the mean, as score_sde's `denoise`).
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";
import { uniformTimes } from "../solvers/solve.ts";

/** Options of {@link reverseSdeSample}. */
export interface ReverseSdeOptions {
  steps: number;
  dim: number;
  /** Last time (1e-3 as score_sde's samplers). */
  tEnd?: number;
}

/** Sample with Euler-Maruyama on the reverse SDE from the prior; NFE = steps. */
export function reverseSdeSample(
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  o: ReverseSdeOptions,
): SamplerResult {
  const times = uniformTimes(sde.T, o.tEnd ?? 1e-3, o.steps);
  let x = priorSample(sde, noise, o.dim);
  for (let k = 0; k < o.steps; k++) {
    const t = times[k], h = times[k] - times[k + 1], g = sde.diffusion(t);
    const next = tf.tidy(() => {
      const mean = tf.sub(x, tf.mul(h, tf.sub(drift(sde, x, t), tf.mul(g * g, score(x, t)))));
      return (k + 1 < o.steps
        ? tf.add(mean, tf.mul(g * Math.sqrt(h), noise.normal(o.dim)))
        : mean) as tf.Tensor2D;
    });
    x.dispose();
    x = next;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory: new Map(), nfe: o.steps };
}
