/**
 * `ve-sde`: the variance-exploding ("pure diffusion") SDE of seeds 000 and 001, dx = sqrt(d sigma^2/dt)
 * dw with sigma geometric from 0.01 to sigma_max, on ring8 with the exact score of its noised law:
 * the reverse SDE, predictor-corrector and probability-flow ODE samplers, and the likelihood, whose
 * N(0, sigma_max^2 I) prior ignores x_0: its error measured against the exact marginal at t = 1.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { veSde } from "../core/noise/sde.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { type LawConfig, lawOf, lawSection } from "../core/recipes/data.ts";
import * as sweep from "../core/recipes/sde_samplers.ts";
import { vePriorCost } from "../core/recipes/nll_check.ts";
import { QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import {
  DEFAULT_QUALITY,
  QualityJudge,
  type QualityOptions,
  QUICK_QUALITY,
} from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { veSdePage } from "./ve_sde.page.ts";

/** The config of `ve-sde`. */
export interface VeSdeConfig {
  data: LawConfig<"ring8" | "three_clusters" | "grid25">;
  /** sigma(t) = sigmaMin (sigmaMax / sigmaMin)^t. */
  sde: { sigmaMin: number; sigmaMax: number };
  sweep: sweep.SweepConfig;
  /** Test points of the NLL, its start time and tolerance, and the sigma_max values of the prior study. */
  nll: { points: number; tMin: number; tolerance: number; priorSigmas: number[] };
  quality: QualityOptions;
}

const full: VeSdeConfig = {
  data: { dataset: "ring8" },
  sde: { sigmaMin: 0.01, sigmaMax: 10 },
  sweep: {
    samplers: ["em", "pc", "euler", "heun", "rk4", "adaptive"],
    nfes: [50, 200, 1000],
    tolerances: [1e-2, 1e-3, 1e-4],
    samples: 2000,
    headlineNfe: 1000,
    tEnd: 1e-3,
  },
  nll: { points: 500, tMin: 1e-5, tolerance: 1e-5, priorSigmas: [1, 2, 3, 5, 10] },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<VeSdeConfig>({
  data: lawSection(["ring8", "three_clusters", "grid25"] as const),
  sde: { schema: { sigmaMin: rules.positive(10), sigmaMax: rules.positive(1000) } },
  sweep: sweep.SWEEP,
  nll: {
    schema: {
      points: rules.int(1, 100_000),
      tMin: rules.positive(0.5),
      tolerance: rules.tolerance(),
      priorSigmas: rules.list(rules.positive(1e4), 1, 8),
    },
  },
  quality: QUALITY,
});

/** The experiment `ve-sde`. */
export const veSdeExperiment: Experiment<VeSdeConfig> = {
  name: "ve-sde",
  title: "The variance-exploding SDE: samplers and the cost of its prior",
  description:
    "The VE SDE (σ from 0.01 to σ_max, no drift) on ring8 with the exact score of its noised law: reverse " +
    "SDE, predictor-corrector and probability-flow ODE samplers at several NFE, and the NLL by the ODE with " +
    "the exact marginal at t = 1 as prior (a check of the VE path) and with the usual N(0, σ_max² I), which " +
    "ignores x_0: its error against σ_max.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      sweep: { nfes: [50, 200], tolerances: [1e-2, 1e-3], samples: 500, headlineNfe: 200 },
      nll: { points: 100, priorSigmas: [1, 3, 10] },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the reverse SDE at the largest NFE"),
    "mmd2_*": { description: "MMD² per sampler at the headline NFE", better: "lower" },
    "modes_*": { description: "modes covered per sampler at the headline NFE", better: "higher" },
    "nonFinite_*": { description: "non-finite samples per sampler", better: "lower" },
    "mad_s*": {
      description:
        "mean |NLL_ODE − (−log p(x0))| with the exact marginal at t = 1 as prior (the VE path's check)",
      better: "lower",
      gate: { exact: "float32" },
      unit: "nats",
      headline: true,
    },
    "priorError_s*": {
      description:
        "mean NLL with the N(0, σ_max² I) prior minus with the exact marginal: what ignoring x_0 costs",
      gate: { exact: "float32" },
      unit: "nats",
    },
    "priorErrorGaussian_s*": {
      description:
        "the same cost for Gaussian data of the same second moments, Σ_d (u_d − ln(1 + u_d))/2 with u_d = E x_d²/σ_max²",
      gate: { exact: "float64" },
      unit: "nats",
    },
  },

  async run(env) {
    const c = env.config, sw = c.sweep;
    const dataset = lawOf(c.data);
    const mixture = dataset.mixture!;
    const sde = veSde(c.sde.sigmaMin, c.sde.sigmaMax);
    const oracle = new MixtureOracle(mixture);
    const judge = new QualityJudge(dataset, c.quality);
    try {
      const score = scoreFromMixtureAtTime(oracle, sde);
      const samplers = await sweep.samplerSweep(env, sde, [["exact", score]], judge, mixture, sw);
      const last = sw.nfes[sw.nfes.length - 1];
      const main = samplers.samples.find((s) => s.sampler === "em" && s.budget === last)!.x;
      const { quality, perMode } = judge.measure(main);
      const test = dataset.sample(c.nll.points, env.streams.get("test")).x;
      const phase = env.progress.phase("nll", c.nll.priorSigmas.length * 2);
      const priors = await vePriorCost(
        mixture,
        test,
        c.sde.sigmaMin,
        c.nll.priorSigmas,
        c.nll,
        phase,
      );
      phase.done();
      const metrics: Record<string, number> = { ...samplers.metrics, ...quality };
      for (const p of priors) {
        metrics[`mad_s${p.sigmaMax}`] = p.mad;
        metrics[`priorError_s${p.sigmaMax}`] = p.priorError;
        metrics[`priorErrorGaussian_s${p.sigmaMax}`] = p.gaussian;
      }
      return {
        metrics,
        details: { sweep: samplers.rows, perMode },
        timings: { samplingSeconds: samplers.timeRows },
        files: [{ name: "samples.csv", content: samplesCsv(main) }],
        probe: judge.probe(main),
        ...veSdePage(c, { sweep: samplers, priors, reference: judge.reference }),
      };
    } finally {
      oracle.dispose();
    }
  },
};
