/**
 * Predictor-corrector sampling (Song et al. 2021): on the grid t_k = T - k (T - tEnd) / N, a Langevin
 * corrector step at t_k (towards p_{t_k}), then a predictor step of the reverse SDE to t_{k+1}:
 *
 *   predictor "euler-maruyama": x <- x - [f - g^2 s] h + g sqrt(h) z
 *   predictor "reverse-diffusion": x <- x - (e^{f(t) h} - 1) x + g^2 h s + g sqrt(h) z
 *     (score_sde's: subtract the forward step's drift, e^{f h} - 1 for a linear drift frozen at t)
 *   corrector: x <- x + e s + sqrt(2 e) z,  e = 2 a (r |z| / |s|)^2
 *
 * with target signal-to-noise ratio r (0.16) and a = (mean(t) / mean(t_{k+1}))^2 = e^{-int beta}
 * for VP-type SDEs (score_sde's discrete alpha = 1 - beta h, which goes negative for coarse grids),
 * 1 for VE. The norms in e come in two forms:
 *   "expected" (default): |z|^2 -> d and |s|^2 -> d / std(t)^2, so e = 2 a r^2 std(t)^2. Per sample
 *     and data-free: a sample does not depend on its batch, and e stays bounded.
 *   "batch": score_sde's batch means of |z| and |s|; couples every sample to its batch. Per-sample
 *     norms are not offered: in low dimension |s| of a sample near a mode centre is ~0 and e explodes.
 * The result is the last predictor's mean (no noise), as score_sde. NFE = 2 N.
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";
import { uniformTimes } from "../solvers/solve.ts";

/** The predictor of a PC sampler. */
export type Predictor = "euler-maruyama" | "reverse-diffusion";

/** How the corrector's step size is set (see the module doc). */
export type CorrectorNorms = "expected" | "batch";

/** Options of {@link pcSample}. */
export interface PcOptions {
  steps: number;
  dim: number;
  predictor?: Predictor;
  /** Target signal-to-noise ratio r of the Langevin corrector. */
  snr?: number;
  norms?: CorrectorNorms;
  tEnd?: number;
}

function meanNorm(x: tf.Tensor2D): tf.Tensor {
  return tf.mean(tf.sqrt(tf.sum(tf.square(x), 1)));
}

/** The corrector's a: (mean(t) / mean(s))^2 = e^{-int beta} for VP-type SDEs, 1 for VE. */
export function correctorScale(sde: Sde, t: number, s: number): number {
  return sde.name === "ve" ? 1 : (sde.meanCoef(t) / sde.meanCoef(s)) ** 2;
}

/**
 * The corrector's step size e at time t (next grid time s) for score values `cs` and noise `z`
 * (see the module doc): the Langevin step whose signal-to-noise ratio |e s| / |sqrt(2 e) z| is
 * r sqrt(a) (exactly so per sample for "expected" norms when |s| = |z| / std(t)).
 */
export function correctorStepSize(
  sde: Sde,
  t: number,
  s: number,
  snr: number,
  norms: CorrectorNorms,
  cs: tf.Tensor2D,
  z: tf.Tensor2D,
): tf.Tensor {
  return tf.tidy(() => {
    const a = correctorScale(sde, t, s);
    return norms === "batch"
      ? tf.mul(2 * a, tf.square(tf.div(tf.mul(snr, meanNorm(z)), tf.add(meanNorm(cs), 1e-12))))
      : tf.scalar(2 * a * snr * snr * sde.std(t) ** 2);
  });
}

/** Sample with one Langevin corrector step and one predictor step per time step. */
export function pcSample(
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  o: PcOptions,
): SamplerResult {
  const times = uniformTimes(sde.T, o.tEnd ?? 1e-3, o.steps);
  const snr = o.snr ?? 0.16;
  let x = priorSample(sde, noise, o.dim);
  for (let k = 0; k < o.steps; k++) {
    const t = times[k], s = times[k + 1], h = t - s, g = sde.diffusion(t);
    const next = tf.tidy(() => {
      // Langevin corrector at time t.
      const cs = score(x, t);
      const z = noise.normal(o.dim);
      const e = correctorStepSize(sde, t, s, snr, o.norms ?? "expected", cs, z);
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
