/**
 * `sgld`: seed 002's stochastic gradient Langevin dynamics on a Bayesian linear regression whose
 * posterior is known in closed form: full-batch Langevin and minibatch SGLD at constant steps, and
 * SGLD with Welling & Teh's decaying steps, against the exact posterior.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { assemble, derive } from "../core/spec/section.ts";
import * as sgld from "../core/recipes/sgld.ts";
import { judgeSamples, QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions, QUICK_QUALITY } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { sgldPage } from "./sgld.page.ts";

/** The config of `sgld`. */
export interface SgldConfig {
  regression: sgld.RegressionConfig;
  chains: sgld.ChainsConfig;
  quality: QualityOptions;
}

const full: SgldConfig = {
  regression: { rows: 1000, weights: [1, -0.5], noiseStd: 1, priorPrecision: 1 },
  chains: {
    chains: 2000,
    iterations: 1000,
    stepSizes: [1e-4, 1e-3, 3e-3],
    batchSizes: [10, 100],
    decay: { a: 2e-3, b: 10, gamma: 0.55 },
  },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<SgldConfig>({ ...sgld.SGLD_SECTIONS, quality: QUALITY });

/** The experiment `sgld`. */
export const sgldExperiment: Experiment<SgldConfig> = {
  name: "sgld",
  title: "Stochastic gradient Langevin dynamics against an exact posterior",
  description:
    "Seed 002's SGLD, θ ← θ + (ε/2) ĝ(θ) + √ε z with a minibatch estimate ĝ of ∇log p(θ | D), on a Bayesian " +
    "linear regression in two weights (1000 rows, unit noise and prior) whose posterior is Gaussian in closed " +
    "form: full-batch Langevin and SGLD with batches of 10 and 100 at three constant steps, and SGLD with " +
    "Welling & Teh's decaying steps a (b + k)^−0.55; 2000 chains from the prior, 1000 iterations each.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      chains: { chains: 500, iterations: 400 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("SGLD, batch 10, decaying steps, whitened by the exact posterior"),
    "meanError_*": {
      description: "Mahalanobis distance of the chains' mean to the exact posterior mean",
      better: "lower",
    },
    "varianceError_*": {
      description: "|trace of the chains' covariance / trace of the posterior's − 1|",
      better: "lower",
    },
    "varianceRatio_*": {
      description: "trace of the chains' covariance / trace of the posterior's",
    },
    "predictedRatio_*": {
      description: "the same ratio predicted in closed form for full-batch Langevin (ULA)",
      gate: { exact: "float64" },
    },
    "mmd2_*": { description: "MMD² of the whitened chains to N(0, I)", better: "lower" },
  },

  run(env) {
    const c = env.config;
    const study = sgld.sgldStudy(env.streams, c.regression, c.chains, c.quality);
    const main = study.sets.find((s) => s.label === `sgld_b${c.chains.batchSizes[0]}_decay`)!;
    const judged = judgeSamples(sgld.STANDARD_NORMAL, c.quality, main.whitened);
    const metrics: Record<string, number> = { ...judged.quality };
    for (const s of study.sets) {
      metrics[`meanError_${s.label}`] = s.meanError;
      metrics[`varianceError_${s.label}`] = Math.abs(s.varianceRatio - 1);
      metrics[`varianceRatio_${s.label}`] = s.varianceRatio;
      if (s.predictedRatio !== undefined) metrics[`predictedRatio_${s.label}`] = s.predictedRatio;
      metrics[`mmd2_${s.label}`] = s.mmd2;
    }
    return Promise.resolve({
      metrics,
      details: { posterior: study.posterior },
      files: [{ name: "samples.csv", content: samplesCsv(main.whitened) }],
      probe: judged.probe,
      ...sgldPage(c, study),
    });
  },
};
