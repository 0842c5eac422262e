/**
 * The sampler checks of an SDE experiment, driven by closed forms rather than a trained model: the
 * observed order of each constant-step PF-ODE method (`core/metrics/solver_order.ts`) and the PC
 * corrector's realized signal-to-noise ratio (`core/metrics/corrector_snr.ts`). Wrong stage times or
 * step-size rules show here at full strength where sample quality, whose seed spread is wide, does
 * not move.
 */
import * as tf from "@tensorflow/tfjs";
import { correctorSnrError } from "../metrics/corrector_snr.ts";
import { chainReplayOff } from "../metrics/chain_replay.ts";
import { MixtureOracle } from "../data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import { reverseSdeSample } from "../samplers/reverse_sde.ts";
import { uniformTimes } from "../solvers/solve.ts";
import { solverOrders } from "../metrics/solver_order.ts";
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
  reverseSdeReplayOff: {
    description:
      "sampler check: fraction of 64 rows where the reverse-SDE sampler (50 steps, exact score of a " +
      "Gaussian) is more than 1e-4 off its Euler-Maruyama chain replayed step by step from the same " +
      "noise (x ← x − [f − g² s] h + g √h z, no noise at the last step)",
    better: "lower",
    gate: { exact: "float32" },
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
 * The reverse-SDE sampler against its chain (`core/metrics/chain_replay.ts`): 50 steps down to
 * `tEnd` with the exact score of N((1, -0.5), 0.5^2 I), 64 rows (stream `reverseSdeReplay`).
 */
export function reverseSdeReplayOff(env: RunEnv, sde: Sde, tEnd: number, steps = 50): number {
  const oracle = new MixtureOracle({ means: [[1, -0.5]], std: 0.5, weights: [1] });
  try {
    const score = scoreFromMixtureAtTime(oracle, sde);
    const times = uniformTimes(sde.T, tEnd, steps);
    return chainReplayOff(
      (noise) => reverseSdeSample(sde, score, noise, { steps, dim: 2, tEnd }).x,
      {
        start: (noise) => priorSample(sde, noise, 2),
        steps,
        noisy: (k) => k < steps - 1,
        step: (x, k, z) =>
          tf.tidy(() => {
            const t = times[k], h = t - times[k + 1], g = sde.diffusion(t);
            const mean = tf.sub(x, tf.mul(h, tf.sub(drift(sde, x, t), tf.mul(g * g, score(x, t)))));
            return (z ? tf.add(mean, tf.mul(g * Math.sqrt(h), z)) : mean) as tf.Tensor2D;
          }),
      },
      () => env.streams.perSample("reverseSdeReplay", 0, 64),
    );
  } finally {
    oracle.dispose();
  }
}

/**
 * `solverOrder_<method>`, `correctorSnrError` (the PC grid of `pcSteps` steps down to `tEnd`, snr
 * 0.16, stream `correctorSnr`) and `reverseSdeReplayOff` for `sde`.
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
    reverseSdeReplayOff: reverseSdeReplayOff(env, sde, tEnd),
  };
}
