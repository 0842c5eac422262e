/**
 * `langevin-mcmc`: the MCMC view (seeds 002 and 003), a known target and no network. Unadjusted
 * Langevin and MALA on ring8's exact score, every chain started from one point, for several step
 * sizes; beside them annealed Langevin on the same budget of steps, showing the failure of
 * single-scale Langevin to cross low-density regions (seed 003, "challenge in low density regions").
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { resolveDataset } from "../core/data/datasets.ts";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import {
  ANNEALED_BUDGET,
  type AnnealedBudgetConfig,
  CHAINS,
  type ChainsConfig,
  langevinComparison,
  levelsDivideSteps,
  stationarityCheck,
  STATIONARY,
  type StationaryConfig,
} from "../core/recipes/mcmc.ts";
import { QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import {
  DEFAULT_QUALITY,
  QualityJudge,
  type QualityOptions,
  QUICK_QUALITY,
} from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { chainsTable, langevinMcmcPage } from "./langevin_mcmc.page.ts";

/** The config of `langevin-mcmc`. */
export interface LangevinMcmcConfig {
  /** The target law. */
  target: { dataset: "ring8" | "three_clusters" | "grid25" };
  /** The chains (all from `start`, ring8's first mode by default). */
  chains: ChainsConfig;
  /** Annealed Langevin on the same budget: levels x (steps / levels) steps. */
  annealed: AnnealedBudgetConfig;
  /** ULA and MALA at the same step sizes, started at exact draws: does the target stay put? */
  stationary: StationaryConfig;
  quality: QualityOptions;
}

const full: LangevinMcmcConfig = {
  target: { dataset: "ring8" },
  chains: {
    chains: 2000,
    start: [3, 0],
    stepSizes: [0.005, 0.02, 0.08],
    form: "half",
    steps: 2000,
    checkpoints: [10, 30, 100, 300, 1000, 2000],
  },
  annealed: { sigmaMax: 3, sigmaMin: 0.01, levels: 20, alpha: 2e-5 },
  stationary: { chains: 2000, steps: 200 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<LangevinMcmcConfig>({
  target: { schema: { dataset: rules.oneOf("ring8", "three_clusters", "grid25") } },
  chains: CHAINS,
  annealed: ANNEALED_BUDGET,
  stationary: STATIONARY,
  quality: QUALITY,
}, [levelsDivideSteps]);

/** The experiment `langevin-mcmc`. */
export const langevinMcmc: Experiment<LangevinMcmcConfig> = {
  name: "langevin-mcmc",
  title: "Langevin MCMC on a known target",
  description:
    "Seeds 002 and 003: unadjusted Langevin (x + (ε/2)∇log p + √ε z) and MALA (the same proposal with a " +
    "Metropolis-Hastings correction) on ring8's exact score, all chains from one start, for several step sizes; " +
    "and annealed Langevin (the exact score of ring8 convolved with N(0, σ²I), σ from 3 to 0.01, step " +
    "α σ²/σ_L²) on the same budget of steps.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      chains: { chains: 500, steps: 400, checkpoints: [10, 100, 400] },
      annealed: { levels: 10 },
      stationary: { chains: 1000, steps: 100 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("annealed Langevin"),
    "mmd2_*": { description: "MMD² after all steps, per sampler and step size", better: "lower" },
    "nonFinite_*": {
      description: "chains that blew up, per sampler and step size",
      better: "lower",
    },
    "modes_*": {
      description: "modes covered after all steps, per sampler and step size",
      better: "higher",
    },
    "acceptance_*": { description: "MALA's acceptance rate over all steps and chains" },
    "stationaryGap_*": {
      description:
        "chains started at exact draws of the target, after stationary.steps steps: |mean log p − mean " +
        "log p of a true sample| (an exact sampler stays at the floor; ULA's bias lifts it)",
      better: "lower",
    },
  },

  async run(env) {
    const c = env.config;
    const dataset = resolveDataset(c.target.dataset, PROJECT_ROOT);
    const judge = new QualityJudge(dataset, c.quality);
    const run = await langevinComparison(env, dataset.mixture!, judge, c);
    const stationary = stationarityCheck(
      env,
      dataset.mixture!,
      judge,
      c.chains.stepSizes,
      c.chains.form,
      c.stationary,
    );
    const { quality, perMode } = judge.measure(run.annealed.x);
    return {
      metrics: { ...run.metrics, ...stationary, ...quality },
      details: { perModeAnnealed: perMode, curves: run.curves },
      probe: judge.probe(run.annealed.x),
      files: [
        { name: "samples.csv", content: samplesCsv(run.annealed.x) },
        { name: "chains.csv", content: chainsTable(run.finals) },
      ],
      ...langevinMcmcPage(c, run, judge.reference),
    };
  },
};
