/**
 * The sampler check of a DDPM experiment: one reverse step of the ancestral sampler
 * (`ddpmStep`), driven by the exact epsilon of the data's mixture, against the closed-form reverse
 * kernel (`core/metrics/reverse_kernel.ts`), and the sampler's whole loop against the chain
 * replayed step by step from the same noise (`chainReplayOff`). Deterministic given the seed and free of learning
 * error, so a wrong coefficient, time index or variance in the sampler shows at float32 precision
 * where the sample-quality figures, whose seed spread is wide, cannot see it.
 */
import type { Dataset } from "../data/dataset.ts";
import { MixtureOracle } from "../data/mixtures.ts";
import { type ReverseKernelErrors, reverseKernelErrors } from "../metrics/reverse_kernel.ts";
import { chainReplayOff } from "../metrics/chain_replay.ts";
import { epsFromMixture } from "../models.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";
import { ddpmSample, ddpmStep } from "../samplers/ddpm.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";

/** The one-step errors and the loop's replay check ({@link chainReplayOff}). */
export type SamplerCheck = ReverseKernelErrors & { chainReplayOff: number };

/** Descriptions and gates of the {@link SamplerCheck} figures. */
export const REVERSE_KERNEL_METRICS: Record<keyof SamplerCheck, MetricSpec> = {
  stepMeanError: {
    description:
      "sampler check: max over t and 512 draws of q_t of |mean of one ancestral step with the exact ε − " +
      "E[x_{t−1} | x_t] by Gaussian conditioning| / √β_t; float32 rounding only",
    better: "lower",
    gate: { exact: "float32" },
  },
  stepVarError_beta: {
    description:
      "sampler check: max over t of |σ_t² / Var(x_{t−1} | x_t) − 1| for rule β_t and data N(0, I), " +
      "the law it is exact for",
    better: "lower",
    gate: { exact: "float32" },
  },
  stepVarError_posterior: {
    description:
      "the same for the posterior-variance rule β̃_t and a point mass, the law it is exact for",
    better: "lower",
    gate: { exact: "float32" },
  },
  chainReplayOff: {
    description:
      "sampler check: fraction of 64 rows where the whole ancestral sampler (both variance rules, exact ε) " +
      "is more than 1e-4 off the chain replayed step by step from the same noise (noise at t ≥ 1, none at t = 0)",
    better: "lower",
    gate: { exact: "float32" },
  },
};

/**
 * The {@link ReverseKernelErrors} of `schedule`'s ancestral step on `points` draws per time index
 * from the `reverseKernel` stream, and the loop's replay on 64 rows per variance rule (streams
 * `chainReplay/beta` and `chainReplay/posterior`); empty for data without a closed form.
 */
export function reverseKernelCheck(
  env: RunEnv,
  schedule: DiscreteSchedule,
  dataset: Dataset,
  points = 512,
): Partial<SamplerCheck> {
  if (!dataset.mixture) return {};
  const oracle = new MixtureOracle(dataset.mixture);
  try {
    const eps = epsFromMixture(oracle, schedule);
    const errors = reverseKernelErrors(
      (x, t, variance, z) => ddpmStep(eps, schedule, x, t, variance, z),
      schedule,
      dataset.mixture,
      points,
      env.streams.get("reverseKernel"),
    );
    const dim = dataset.mixture.means[0].length;
    const replayOff = (["beta", "posterior"] as const).map((variance) =>
      chainReplayOff(
        (noise) => ddpmSample(eps, schedule, noise, { dim, variance }).x,
        {
          // x_{T-1} ~ N(0, I), then t = T-1 .. 0, noise at t >= 1 (the module doc of ddpm.ts)
          start: (noise) => noise.normal(dim),
          steps: schedule.T,
          draws: (k) => (schedule.T - 1 - k >= 1 ? 1 : 0),
          step: (x, k, [z]) => ddpmStep(eps, schedule, x, schedule.T - 1 - k, variance, z ?? null),
        },
        () => env.streams.perSample(`chainReplay/${variance}`, 0, 64),
      )
    );
    return { ...errors, chainReplayOff: Math.max(...replayOff) };
  } finally {
    oracle.dispose();
  }
}
