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
import { type ScoreFn, scoreFromMixtureAtTime } from "../models.ts";
import { drift, priorSample, type Sde } from "../noise/sde.ts";
import { reverseSdeSample } from "../samplers/reverse_sde.ts";
import { sampleSde } from "./sde_samplers.ts";
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
  pcReplayOff: {
    description:
      "sampler check: the same for predictor-corrector (25 steps through sampleSde: a Langevin " +
      "corrector x + e s + √(2e) z with e = 2 a r² std(t)², then the Euler-Maruyama predictor, no " +
      "noise after the last predictor)",
    better: "lower",
    gate: { exact: "float32" },
  },
  ddimReplayOff: {
    description:
      "sampler check: the same for DDIM (η = 0, 26 alphaBar values mean(t)², through sampleSde; the " +
      "last step goes to alphaBar = 1)",
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

/** The Gaussian whose exact score drives the loop replays, and its score under `sde`. */
function replayScore(sde: Sde): { score: ScoreFn; dispose(): void } {
  const oracle = new MixtureOracle({ means: [[1, -0.5]], std: 0.5, weights: [1] });
  return { score: scoreFromMixtureAtTime(oracle, sde), dispose: () => oracle.dispose() };
}

/**
 * The reverse-SDE sampler against its chain (`core/metrics/chain_replay.ts`): 50 steps down to
 * `tEnd` with the exact score of N((1, -0.5), 0.5^2 I), 64 rows (stream `reverseSdeReplay`).
 */
export function reverseSdeReplayOff(env: RunEnv, sde: Sde, tEnd: number, steps = 50): number {
  const { score, dispose } = replayScore(sde);
  try {
    const times = uniformTimes(sde.T, tEnd, steps);
    return chainReplayOff(
      (noise) => reverseSdeSample(sde, score, noise, { steps, dim: 2, tEnd }).x,
      {
        start: (noise) => priorSample(sde, noise, 2),
        steps,
        draws: (k) => (k < steps - 1 ? 1 : 0),
        step: (x, k, [z]) =>
          tf.tidy(() => {
            const t = times[k], h = t - times[k + 1], g = sde.diffusion(t);
            const mean = tf.sub(x, tf.mul(h, tf.sub(drift(sde, x, t), tf.mul(g * g, score(x, t)))));
            return (z ? tf.add(mean, tf.mul(g * Math.sqrt(h), z)) : mean) as tf.Tensor2D;
          }),
      },
      () => env.streams.perSample("reverseSdeReplay", 0, 64),
    );
  } finally {
    dispose();
  }
}

/**
 * The predictor-corrector sampler (through `sampleSde`, "expected" norms, snr 0.16) against its
 * chain: per step a corrector draw and, but at the last step, a predictor draw (stream
 * `pcReplay`, 64 rows).
 */
export function pcReplayOff(env: RunEnv, sde: Sde, tEnd: number, steps = 25): number {
  const { score, dispose } = replayScore(sde);
  const times = uniformTimes(sde.T, tEnd, steps), r = 0.16;
  try {
    return chainReplayOff(
      (noise) =>
        sampleSde("pc", sde, score, noise, { dim: 2, tEnd, nfe: 2 * steps, tolerance: 0 }).x,
      {
        start: (noise) => priorSample(sde, noise, 2),
        steps,
        draws: (k) => (k < steps - 1 ? 2 : 1),
        step: (x, k, [zc, zp]) =>
          tf.tidy(() => {
            const t = times[k], s = times[k + 1], h = t - s, g = sde.diffusion(t);
            const a = sde.name === "ve" ? 1 : (sde.meanCoef(t) / sde.meanCoef(s)) ** 2;
            const e = 2 * a * r * r * sde.std(t) ** 2;
            const xc = tf.add(tf.add(x, tf.mul(e, score(x, t))), tf.mul(Math.sqrt(2 * e), zc));
            const mean = tf.sub(
              xc,
              tf.mul(
                h,
                tf.sub(
                  drift(sde, xc as tf.Tensor2D, t),
                  tf.mul(g * g, score(xc as tf.Tensor2D, t)),
                ),
              ),
            );
            return (zp ? tf.add(mean, tf.mul(g * Math.sqrt(h), zp)) : mean) as tf.Tensor2D;
          }),
      },
      () => env.streams.perSample("pcReplay", 0, 64),
    );
  } finally {
    dispose();
  }
}

/**
 * DDIM with eta = 0 (through `sampleSde`, VP-type SDEs: alphaBar = mean(t)^2) against its chain: no
 * draws after the start, x0_hat = (x - sqrt(1 - a) eps) / sqrt(a), x <- sqrt(a') x0_hat + sqrt(1 - a')
 * eps, the last a' = 1 (stream `ddimReplay`, 64 rows).
 */
export function ddimReplayOff(env: RunEnv, sde: Sde, tEnd: number, nfe = 26): number {
  const { score, dispose } = replayScore(sde);
  const times = uniformTimes(sde.T, tEnd, nfe - 1);
  const abar = (k: number) => (k < nfe ? sde.meanCoef(times[k]) ** 2 : 1);
  try {
    return chainReplayOff(
      (noise) => sampleSde("ddim", sde, score, noise, { dim: 2, tEnd, nfe, tolerance: 0 }).x,
      {
        start: (noise) => noise.normal(2),
        steps: nfe,
        draws: () => 0,
        step: (x, k) =>
          tf.tidy(() => {
            const a = abar(k), an = abar(k + 1);
            const eps = tf.mul(-sde.std(times[k]), score(x, times[k]));
            const x0 = tf.div(tf.sub(x, tf.mul(Math.sqrt(1 - a), eps)), Math.sqrt(a));
            return tf.add(tf.mul(Math.sqrt(an), x0), tf.mul(Math.sqrt(1 - an), eps)) as tf.Tensor2D;
          }),
      },
      () => env.streams.perSample("ddimReplay", 0, 64),
    );
  } finally {
    dispose();
  }
}

/**
 * `solverOrder_<method>`, `correctorSnrError` (the PC grid of `pcSteps` steps down to `tEnd`, snr
 * 0.16, stream `correctorSnr`) and the loop replays of the reverse SDE, PC and (VP-type) DDIM.
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
    pcReplayOff: pcReplayOff(env, sde, tEnd),
    ...(sde.name === "ve" ? {} : { ddimReplayOff: ddimReplayOff(env, sde, tEnd) }),
  };
}
