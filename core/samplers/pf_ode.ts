/**
 * Sampling by the probability-flow ODE (Song et al. 2021), the deterministic process with the same
 * marginals as the SDE:
 *
 *   dx/dt = f(x, t) - 1/2 g(t)^2 s(x, t),  from x(T) ~ prior down to t = eps,
 *
 * by a fixed-step solver (Euler, Heun, RK4) or adaptive Dormand-Prince 5(4) (`ode.ts`).
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";
import { type FixedMethod, odeAdaptive, odeFixed, type OdeFn, uniformTimes } from "./ode.ts";

/** The probability-flow drift f(x, t) - 1/2 g(t)^2 s(x, t) as an ODE right-hand side. */
export function pfOdeDrift(sde: Sde, score: ScoreFn): OdeFn {
  return (t, x) =>
    tf.tidy(() => {
      const g = sde.diffusion(t);
      return tf.sub(drift(sde, x, t), tf.mul(0.5 * g * g, score(x, t))) as tf.Tensor2D;
    });
}

/** How to solve: a fixed method with a number of steps, or adaptive with tolerances. */
export type PfOdeSolver =
  | { kind: "fixed"; method: FixedMethod; steps: number }
  | { kind: "adaptive"; rtol: number; atol: number };

/** Sample by the PF-ODE from the prior down to `eps` (1e-3 by default). */
export function pfOdeSample(
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  solver: PfOdeSolver,
  o: { dim: number; eps?: number },
): SamplerResult {
  const eps = o.eps ?? 1e-3;
  const xT = priorSample(sde, noise, o.dim);
  const f = pfOdeDrift(sde, score);
  const r = solver.kind === "fixed"
    ? odeFixed(f, xT, uniformTimes(sde.T, eps, solver.steps), solver.method)
    : odeAdaptive(f, xT, sde.T, eps, solver);
  xT.dispose();
  const x = r.y.dataSync() as Float32Array;
  r.y.dispose();
  return { x, trajectory: new Map(), nfe: r.nfe };
}
