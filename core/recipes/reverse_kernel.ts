/**
 * The sampler check of a DDPM experiment: one reverse step of the ancestral sampler
 * (`ddpmStep`), driven by the exact epsilon of the data's mixture, against the closed-form reverse
 * kernel (`core/metrics/reverse_kernel.ts`). Deterministic given the seed and free of learning
 * error, so a wrong coefficient, time index or variance in the sampler shows at float32 precision
 * where the sample-quality figures, whose seed spread is wide, cannot see it.
 */
import type { Dataset } from "../data/dataset.ts";
import { MixtureOracle } from "../data/mixtures.ts";
import { type ReverseKernelErrors, reverseKernelErrors } from "../metrics/reverse_kernel.ts";
import { epsFromMixture } from "../models.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";
import { ddpmStep } from "../samplers/ddpm.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";

/** Descriptions and gates of the {@link ReverseKernelErrors} figures. */
export const REVERSE_KERNEL_METRICS: Record<keyof ReverseKernelErrors, MetricSpec> = {
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
};

/**
 * The {@link ReverseKernelErrors} of `schedule`'s ancestral step on `points` draws per time index
 * from the `reverseKernel` stream; empty for data without a closed form.
 */
export function reverseKernelCheck(
  env: RunEnv,
  schedule: DiscreteSchedule,
  dataset: Dataset,
  points = 512,
): Partial<ReverseKernelErrors> {
  if (!dataset.mixture) return {};
  const oracle = new MixtureOracle(dataset.mixture);
  try {
    const eps = epsFromMixture(oracle, schedule);
    return reverseKernelErrors(
      (x, t, variance, z) => ddpmStep(eps, schedule, x, t, variance, z),
      schedule,
      dataset.mixture,
      points,
      env.streams.get("reverseKernel"),
    );
  } finally {
    oracle.dispose();
  }
}
