/**
 * Sampling by the probability-flow ODE (Song et al. 2021), the deterministic process with the same
 * marginals as the SDE:
 *
 *   dx/dt = f(x, t) - 1/2 g(t)^2 s(x, t),  from x(T) ~ prior down to t = tEnd,
 *
 * by a constant-step method (Euler, Heun, RK4) or adaptive Dormand-Prince 5(4) (`core/solvers/`).
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";
import type { OdeFn } from "../solvers/tableau.ts";
import { solve, solveOptions, type SolverChoice } from "../solvers/solve.ts";

/** The probability-flow drift f(x, t) - 1/2 g(t)^2 s(x, t) as an ODE right-hand side. */
export function pfOdeDrift(sde: Sde, score: ScoreFn): OdeFn {
  return (t, x) =>
    tf.tidy(() => {
      const g = sde.diffusion(t);
      return tf.sub(drift(sde, x, t), tf.mul(0.5 * g * g, score(x, t))) as tf.Tensor2D;
    });
}

/** Sample by the PF-ODE from the prior down to `tEnd` (1e-3 by default). */
export function pfOdeSample(
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  solver: SolverChoice,
  o: { dim: number; tEnd?: number },
): SamplerResult {
  const tEnd = o.tEnd ?? 1e-3;
  const xT = priorSample(sde, noise, o.dim);
  const f = pfOdeDrift(sde, score);
  const r = solve(f, xT, sde.T, tEnd, solveOptions(solver));
  xT.dispose();
  const x = r.y.dataSync() as Float32Array;
  r.y.dispose();
  return { x, trajectory: new Map(), nfe: r.nfe };
}
