/**
 * The sampler checks of an SDE experiment, driven by closed forms rather than a trained model: the
 * observed order of each constant-step PF-ODE method (`core/metrics/solver_order.ts`) and the PC
 * corrector's realized signal-to-noise ratio (`core/metrics/corrector_snr.ts`). Wrong stage times or
 * step-size rules show here at full strength where sample quality, whose seed spread is wide, does
 * not move.
 */
import { correctorSnrError } from "../metrics/corrector_snr.ts";
import { solverOrders } from "../metrics/solver_order.ts";
import type { Sde } from "../noise/sde.ts";
import { TABLEAUS } from "../solvers/solve.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";

/** Descriptions and gates of the figures of {@link sdeSamplerChecks}. */
export const SDE_CHECK_METRICS: Record<string, MetricSpec> = {
  correctorSnrError: {
    description:
      "sampler check: max over the PC grid at the headline NFE of |realized SNR of the Langevin corrector " +
      "/ its target r√a − 1| (r = 0.16), on 2000 draws of a point mass's marginal, where the expected-norm " +
      "rule is exact up to Monte Carlo error",
    better: "lower",
  },
  "solverOrder_*": {
    description:
      "solver check: observed order log2(e(N)/e(2N)) of each constant-step PF-ODE method against the " +
      "closed-form flow map of a Gaussian law (Euler and Heun N = 20, RK4 N = 5; 0.91, 1.92, 4.13)",
    better: "higher",
    gate: { exact: "float32" },
  },
};

/**
 * `solverOrder_<method>` and `correctorSnrError` for `sde` (the PC grid of `pcSteps` steps down to
 * `tEnd`, snr 0.16, stream `correctorSnr`).
 */
export function sdeSamplerChecks(
  env: RunEnv,
  sde: Sde,
  pcSteps: number,
  tEnd: number,
): Record<string, number> {
  return {
    ...solverOrders(sde, TABLEAUS, tEnd),
    correctorSnrError: correctorSnrError(
      sde,
      0.16,
      pcSteps,
      tEnd,
      2000,
      env.streams.get("correctorSnr"),
    ),
  };
}
