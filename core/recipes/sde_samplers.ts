/**
 * Every SDE sampler behind one call with an NFE budget, for sweeps: the number of steps each
 * sampler can afford (PC and Heun spend 2 evaluations per step, RK4 4), or, for the adaptive
 * solver, a tolerance (its NFE is what it needed, reported as such).
 */
import type { ScoreFn } from "../models.ts";
import type { Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import { reverseSdeSample } from "../samplers/reverse_sde.ts";
import { pcSample } from "../samplers/pc.ts";
import { pfOdeSample } from "../samplers/pf_ode.ts";
import { ddimSample } from "../samplers/ddim.ts";
import { uniformTimes } from "../solvers/solve.ts";
import type { SamplerResult } from "../samplers/result.ts";
import * as tf from "@tensorflow/tfjs";

/** The samplers of the SDE sweep. */
export type SdeSamplerName = "em" | "pc" | "ddim" | "euler" | "heun" | "rk4" | "adaptive";

/** All of them, in display order. */
export const SDE_SAMPLERS: SdeSamplerName[] = [
  "em",
  "pc",
  "ddim",
  "euler",
  "heun",
  "rk4",
  "adaptive",
];

/** Options of {@link sampleSde}. */
export interface SampleSdeOptions {
  dim: number;
  /** End time of the samplers (1e-3). */
  eps: number;
  /** NFE budget (fixed-cost samplers). */
  nfe: number;
  /** rtol = atol of the adaptive solver. */
  tolerance: number;
}

/**
 * Draw samples with `name` from the prior of `sde`: "em" reverse-SDE Euler-Maruyama, "pc"
 * predictor-corrector (Euler-Maruyama + Langevin, snr 0.16), "ddim" (eta = 0, alphaBar = mean(t)^2),
 * and the probability-flow ODE by "euler", "heun", "rk4" or "adaptive" (Dormand-Prince).
 */
export function sampleSde(
  name: SdeSamplerName,
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  o: SampleSdeOptions,
): SamplerResult {
  const base = { dim: o.dim, eps: o.eps };
  switch (name) {
    case "em":
      return reverseSdeSample(sde, score, noise, { ...base, steps: o.nfe });
    case "pc":
      return pcSample(sde, score, noise, { ...base, steps: Math.max(1, Math.floor(o.nfe / 2)) });
    case "ddim": {
      const times = uniformTimes(sde.T, o.eps, o.nfe - 1);
      const alphaBars = Float64Array.from(times, (t) => sde.meanCoef(t) ** 2);
      const eps = (x: tf.Tensor2D, k: number) =>
        tf.tidy(() => tf.mul(-sde.std(times[k]), score(x, times[k])) as tf.Tensor2D);
      return ddimSample(eps, alphaBars, noise, { dim: o.dim, eta: 0 });
    }
    case "euler":
      return pfOdeSample(sde, score, noise, { kind: "fixed", method: "euler", steps: o.nfe }, base);
    case "heun":
      return pfOdeSample(sde, score, noise, {
        kind: "fixed",
        method: "heun",
        steps: Math.max(1, Math.floor(o.nfe / 2)),
      }, base);
    case "rk4":
      return pfOdeSample(sde, score, noise, {
        kind: "fixed",
        method: "rk4",
        steps: Math.max(1, Math.floor(o.nfe / 4)),
      }, base);
    case "adaptive":
      return pfOdeSample(sde, score, noise, {
        kind: "adaptive",
        rtol: o.tolerance,
        atol: o.tolerance,
      }, base);
  }
}
