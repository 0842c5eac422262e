/**
 * Seed 000's diffusion demo on its ring ("Visualizing the Diffusion Process"): a T = 100 chain,
 * the forward states at a few t, and the reverse chain driven by the seed's heuristic score
 * -x / (1 - alphaBar_t + 0.1) ("a gradient toward the data mean"), beside the same chain driven by
 * the exact score of the noised ring (`core/data/ring.ts`): how far the heuristic is from right.
 */
import * as tf from "@tensorflow/tfjs";
import { RING, ringMarginal } from "../data/ring.ts";
import type { EpsModel } from "../models.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";
import { ddpmSample } from "../samplers/ddpm.ts";
import type { SamplerResult } from "../samplers/result.ts";
import { fisherDivergence } from "../metrics/fisher.ts";
import { radiusStats } from "../metrics/conditional.ts";
import type { RunEnv } from "../runtime/env.ts";
import { forwardSample, keptSteps } from "./ddpm.ts";

/** A score of the chain's marginal at time index t. */
export type ChainScore = (x: tf.Tensor2D, t: number) => tf.Tensor2D;

/** The seed's heuristic score: -x / (1 - alphaBar_t + 0.1). */
export function heuristicScore(s: DiscreteSchedule): ChainScore {
  return (x, t) => tf.div(x, -(1 - s.alphaBar[t] + 0.1));
}

/** The exact score of the noised ring at time index t (float64, then float32). */
export function exactRingScore(s: DiscreteSchedule): ChainScore {
  return (x, t) => {
    const g = ringMarginal(x.dataSync(), Math.sqrt(s.alphaBar[t]), Math.sqrt(1 - s.alphaBar[t]));
    return tf.tensor2d(Float32Array.from(g.score), x.shape);
  };
}

/**
 * A score as the chain's noise predictor, eps = -sqrt(1 - alphaBar_t) score: with it the ancestral
 * step is the seed's x <- (x + beta_t score) / sqrt(alpha_t) + sqrt(beta_t) z.
 */
export function epsOfScore(score: ChainScore, s: DiscreteSchedule): EpsModel {
  return (x, t) => {
    if (typeof t !== "number") throw new Error("one time index per call");
    return tf.tidy(() => tf.mul(-Math.sqrt(1 - s.alphaBar[t]), score(x, t)) as tf.Tensor2D);
  };
}

/** Relative Fisher divergence of `score` to `exact` at time t on forward draws `xt`. */
export function relativeFisherAt(
  score: ChainScore,
  exact: ChainScore,
  xt: Float32Array,
  t: number,
): number {
  const f = fisherDivergence((x) => score(x, t), (x) => exact(x, t), xt, 2);
  return f / fisherDivergence(tf.zerosLike, (x) => exact(x, t), xt, 2);
}

/** What the demo returns. */
export interface RingDemo {
  /** Forward draws q(x_t | x_0) of the data at each shown t (the data itself at t = 0). */
  forward: Float32Array[];
  heuristic: SamplerResult;
  exact: SamplerResult;
  /** Relative Fisher divergence of the heuristic score at each shown t > 0. */
  scoreError: { t: number; fisherRel: number }[];
  /** Mean and std of |x| of the final samples, and |mean - R| of the exact score's. */
  radius: {
    heuristic: { mean: number; std: number };
    exact: { mean: number; std: number };
    error: number;
  };
}

/**
 * The forward states of `data` at `shown` (stream `figures`), the reverse chain with the heuristic
 * and with the exact score from the same noise (purpose `sample`, `samples` of them, states kept
 * at `shown`), and the heuristic's error against the exact score on the forward draws.
 */
export async function ringChains(
  env: RunEnv,
  data: Float32Array,
  schedule: DiscreteSchedule,
  o: { shown: number[]; samples: number },
): Promise<RingDemo> {
  const phase = env.progress.phase("chains", 2);
  const forward = o.shown.map((t) =>
    t === 0 ? data : forwardSample(schedule, data, 2, t, env.streams.get("figures"))
  );
  const exact = exactRingScore(schedule), heuristic = heuristicScore(schedule);
  const run = (score: ChainScore) =>
    ddpmSample(
      epsOfScore(score, schedule),
      schedule,
      env.streams.perSample("sample", 0, o.samples),
      {
        dim: 2,
        variance: "beta",
        keep: keptSteps(schedule.T, o.shown, 5),
      },
    );
  const h = run(heuristic);
  await phase.tick();
  const e = run(exact);
  phase.done();
  const scoreError = o.shown.flatMap((t, i) =>
    t === 0 ? [] : [{ t, fisherRel: relativeFisherAt(heuristic, exact, forward[i], t) }]
  );
  return {
    forward,
    heuristic: h,
    exact: e,
    scoreError,
    radius: {
      heuristic: radiusStats(h.x),
      exact: radiusStats(e.x),
      error: Math.abs(radiusStats(e.x).mean - RING.radius),
    },
  };
}
