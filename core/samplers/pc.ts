/**
 * Predictor-corrector sampling (Song et al. 2021): on the grid t_k = T - k (T - eps) / N, a Langevin
 * corrector step at t_k (towards p_{t_k}), then a predictor step of the reverse SDE to t_{k+1}:
 *
 *   predictor "euler-maruyama": x <- x - [f - g^2 s] h + g sqrt(h) z
 *   predictor "reverse-diffusion": x <- x - (e^{f(t) h} - 1) x + g^2 h s + g sqrt(h) z
 *     (score_sde's: subtract the forward step's drift, e^{f h} - 1 for a linear drift frozen at t)
 *   corrector: x <- x + e s + sqrt(2 e) z,  e = 2 a (r |z| / |s|)^2
 *
 * with target signal-to-noise ratio r (0.16) and a = 1 - beta(t) h for VP-type SDEs (score_sde's
 * alpha), 1 for VE. Norms are per sample, not over the batch as in score_sde, so a sample does not
 * depend on the batch it is drawn in. As score_sde, the result is the last predictor's mean (no
 * noise). NFE = 2 N.
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";
import { uniformTimes } from "./ode.ts";

/** The predictor of a PC sampler. */
export type Predictor = "euler-maruyama" | "reverse-diffusion";

/** Options of {@link pcSample}. */
export interface PcOptions {
  steps: number;
  dim: number;
  predictor?: Predictor;
  /** Target signal-to-noise ratio r of the Langevin corrector. */
  snr?: number;
  eps?: number;
}

function rowNorms(x: tf.Tensor2D): tf.Tensor2D {
  return tf.sqrt(tf.sum(tf.square(x), 1, true)) as tf.Tensor2D;
}

/** Sample with a predictor and one Langevin corrector step per time step. */
export function pcSample(
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  o: PcOptions,
): SamplerResult {
  const times = uniformTimes(sde.T, o.eps ?? 1e-3, o.steps);
  const snr = o.snr ?? 0.16;
  let x = priorSample(sde, noise, o.dim);
  for (let k = 0; k < o.steps; k++) {
    const t = times[k], h = t - times[k + 1], g = sde.diffusion(t);
    const next = tf.tidy(() => {
      // Langevin corrector at time t.
      const cs = score(x, t);
      const z = noise.normal(o.dim);
      const a = sde.name === "ve" ? 1 : 1 - g * g * h;
      const e = tf.mul(
        2 * a,
        tf.square(tf.div(tf.mul(snr, rowNorms(z)), tf.add(rowNorms(cs), 1e-12))),
      );
      const xc = tf.add(tf.add(x, tf.mul(e, cs)), tf.mul(tf.sqrt(tf.mul(2, e)), z)) as tf.Tensor2D;
      // Predictor from t to s.
      const sc = score(xc, t);
      const mean = o.predictor === "reverse-diffusion"
        ? tf.add(tf.sub(xc, tf.mul(Math.expm1(sde.driftCoef(t) * h), xc)), tf.mul(g * g * h, sc))
        : tf.sub(xc, tf.mul(h, tf.sub(drift(sde, xc, t), tf.mul(g * g, sc))));
      return (k + 1 < o.steps
        ? tf.add(mean, tf.mul(g * Math.sqrt(h), noise.normal(o.dim)))
        : mean) as tf.Tensor2D;
    });
    x.dispose();
    x = next;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory: new Map(), nfe: 2 * o.steps };
}
