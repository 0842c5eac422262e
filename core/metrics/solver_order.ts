/**
 * The observed order of a constant-step ODE method on the probability-flow ODE of a Gaussian law,
 * whose flow map is known in closed form.
 *
 * For data N(mu, s0^2 I) the SDE's marginal is p_t = N(m(t) mu, v(t) I), v(t) = m(t)^2 s0^2 +
 * std(t)^2, and the PF-ODE dx/dt = f(t) x - 1/2 g(t)^2 grad log p_t(x) carries each point along
 *
 *   x(t) = m(t) mu + sqrt(v(t) / v(T)) (x(T) - m(T) mu).
 *
 * A method of order p has global error C h^p, so log2(error(N) / error(2N)) -> p. The drift's
 * coefficients vary in time, so a stage evaluated at the wrong time shows as a lower order even
 * where the samples it makes look fine.
 */
import * as tf from "@tensorflow/tfjs";
import { type GaussianMixture, MixtureOracle } from "../data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../models.ts";
import type { Sde } from "../noise/sde.ts";
import { pfOdeDrift } from "../samplers/pf_ode.ts";
import { solve } from "../solvers/solve.ts";
import type { Tableau } from "../solvers/tableau.ts";

/** Options of {@link observedOrder}. */
export interface OrderProblem {
  /** The Gaussian law's mean and standard deviation. */
  mu: number[];
  std0: number;
  /** Start points x(T), rows of mu.length numbers. */
  start: number[][];
  /** Solve from T down to tEnd with `steps` and 2 `steps` equal steps. */
  tEnd: number;
  steps: number;
}

/** max |x_N(tEnd) - x(tEnd)| over the start points for a constant-step solve with `steps` steps. */
export function flowMapError(sde: Sde, method: Tableau, p: OrderProblem, steps: number): number {
  const law: GaussianMixture = { means: [p.mu], std: p.std0, weights: [1] };
  const oracle = new MixtureOracle(law);
  try {
    const v = (t: number) => sde.meanCoef(t) ** 2 * p.std0 ** 2 + sde.std(t) ** 2;
    const ratio = Math.sqrt(v(p.tEnd) / v(sde.T));
    const mT = sde.meanCoef(sde.T), mEnd = sde.meanCoef(p.tEnd);
    const y0 = tf.tensor2d(p.start);
    const r = solve(pfOdeDrift(sde, scoreFromMixtureAtTime(oracle, sde)), y0, sde.T, p.tEnd, {
      method,
      control: { kind: "constant", steps },
    });
    const got = r.y.dataSync();
    tf.dispose([y0, r.y]);
    let err = 0;
    p.start.forEach((row, i) =>
      row.forEach((x, d) => {
        const exact = mEnd * p.mu[d] + ratio * (x - mT * p.mu[d]);
        err = Math.max(err, Math.abs(got[i * row.length + d] - exact));
      })
    );
    return err;
  } finally {
    oracle.dispose();
  }
}

/** log2(error(steps) / error(2 steps)): the method's observed order on the problem. */
export function observedOrder(sde: Sde, method: Tableau, p: OrderProblem): number {
  return Math.log2(
    flowMapError(sde, method, p, p.steps) / flowMapError(sde, method, p, 2 * p.steps),
  );
}

/**
 * Steps per method where its error is still far above float32 rounding (RK4 reaches it near 40
 * steps on this problem), so the ratio reads the method's order.
 */
const ORDER_STEPS = { euler: 20, heun: 20, rk4: 5 } as const;

/**
 * `solverOrder_<method>` for Euler, Heun and RK4 on the PF-ODE of `sde` for N((1.5, -0.5), 0.5^2 I)
 * from four fixed start points down to `tEnd`: about 0.9, 1.9 and 4.1 on the VP SDE of sde-vs-ode
 * (the asymptotic 1, 2, 4 are approached from there as steps grow).
 */
export function solverOrders(
  sde: Sde,
  tableaus: Record<keyof typeof ORDER_STEPS, Tableau>,
  tEnd: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, steps] of Object.entries(ORDER_STEPS)) {
    out[`solverOrder_${name}`] = observedOrder(sde, tableaus[name as keyof typeof ORDER_STEPS], {
      mu: [1.5, -0.5],
      std0: 0.5,
      start: [[1, 0.5], [-1.2, 2], [0.3, -0.7], [2, 2]],
      tEnd,
      steps,
    });
  }
  return out;
}
