/**
 * `ncsn-three-clusters`: seed 000's `demo_score_based_generation` as written. A noise-conditional
 * MLP (x and log sigma, SiLU) trained for 2000 steps of batch 128 with sigma log-uniform in
 * [0.01, 1] and the sigma^2-weighted loss; then annealed Langevin over 50 geometric sigmas from 1 to
 * 0.01, 50 steps each, eps = 0.5 sigma^2, x + eps s + sqrt(2 eps) z, from N(0, sigma_1^2 I); 1000 samples.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules, unless } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { geometricSigmas } from "../core/noise/schedules.ts";
import { loadData } from "../core/recipes/data.ts";
import { STEPS, type StepsConfig } from "../core/recipes/train.ts";
import * as ncsn from "../core/recipes/ncsn.ts";
import { DEFAULT_QUALITY } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ncsnPage } from "./ncsn_three_clusters.page.ts";

/** The config of `ncsn-three-clusters`. */
export interface NcsnConfig extends ncsn.NcsnBase {
  /** Training sigma: log-uniform in [sigmaMin, sigmaMax]. */
  train: StepsConfig & { sigmaMin: number; sigmaMax: number };
  /**
   * `levels` geometric sigmas from sigmaMax down to sigmaMin, `stepsPerLevel` Langevin steps each
   * with step eps_i = c sigma_i^2.
   */
  sample: ncsn.AnnealedRunConfig & {
    sigmaMax: number;
    sigmaMin: number;
    levels: number;
    c: number;
  };
}

const full: NcsnConfig = {
  ...ncsn.SEED_000,
  train: { steps: 2000, batchSize: 128, lr: 1e-3, sigmaMin: 0.01, sigmaMax: 1.0 },
  sample: {
    sigmaMax: 1.0,
    sigmaMin: 0.01,
    levels: 50,
    stepsPerLevel: 50,
    c: 0.5,
    form: "full",
    samples: 1000,
  },
  quality: DEFAULT_QUALITY,
};

const sigmaOrder = (c: { sigmaMin: number; sigmaMax: number }) =>
  unless(c.sigmaMin < c.sigmaMax, "sigmaMin", c.sigmaMin, `a number < sigmaMax (${c.sigmaMax})`);

const { schema, checks } = assemble<NcsnConfig>({
  ...ncsn.NCSN_SECTIONS,
  train: {
    schema: { ...STEPS.schema, sigmaMin: rules.positive(100), sigmaMax: rules.positive(100) },
    checks: [sigmaOrder],
  },
  sample: {
    schema: {
      sigmaMax: rules.positive(100),
      sigmaMin: rules.positive(100),
      levels: rules.int(1, 10_000),
      c: rules.positive(10),
      ...ncsn.ANNEALED_RUN_SCHEMA,
    },
    checks: [sigmaOrder],
  },
});

/** The experiment `ncsn-three-clusters`. */
export const ncsnThreeClusters: Experiment<NcsnConfig> = {
  name: "ncsn-three-clusters",
  title: "NCSN on three clusters (seed 000 as written)",
  description:
    "Seed 000's score-based demo, faithfully: a noise-conditional MLP trained by σ²-weighted multi-noise " +
    "DSM (σ log-uniform in [0.01, 1]), sampled by annealed Langevin over 50 geometric σ from 1 to 0.01 (50 steps " +
    "each, ε = 0.5σ², x + εs + √(2ε)z). The same sampler is also run on the exact score: the recipe, not the " +
    "learning, gets the cluster weights wrong.",
  seed: 0,
  // Ten seeds of each profile in the golden: the full profile is cheap enough.
  seeds: { full: 10 },
  profiles: {
    full,
    quick: derive(full, {
      train: { steps: 400 },
      sample: { levels: 20, stepsPerLevel: 20, samples: 500 },
      quality: { referenceSize: 2000, permutations: 50, permutationSize: 250 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...ncsn.NCSN_METRICS,
    spreadRule_sigmaMax: {
      description: "σ_1 by seed 002's rule: the largest distance between training points",
      gate: { exact: "float64" },
    },
    spreadRule_mmd2: { description: "MMD² of the exact score, σ_1 by that rule", better: "lower" },
    spreadRule_modeKl: {
      description: "mode KL of the exact score, σ_1 by that rule",
      better: "lower",
    },
    spreadRule_modesCovered: {
      description: "modes covered by the exact score, σ_1 by that rule",
      better: "higher",
    },
    spreadRule_highQualityFraction: {
      description: "high-quality fraction of the exact score, σ_1 by that rule",
      better: "higher",
    },
  },

  async run(env) {
    const c = env.config, s = c.sample;
    const data = loadData(c.data, env.streams);
    const mixture = data.dataset.mixture!;
    const model = await ncsn.trainNcsnNet(env, data.x, c, {
      kind: "logUniform",
      min: c.train.sigmaMin,
      max: c.train.sigmaMax,
    });
    try {
      const sigmas = geometricSigmas(s.sigmaMax, s.sigmaMin, s.levels);
      const sampler = {
        samples: s.samples,
        dim: 2,
        stepsPerLevel: s.stepsPerLevel,
        rule: { kind: "proportional" as const, c: s.c },
        form: s.form,
      };
      const run = await ncsn.annealedLearnedVsExact(env, model, mixture, sigmas, sampler, {
        max: s.sigmaMax,
        min: s.sigmaMin,
      });
      const spread = ncsn.exactUnderSpreadRule(
        data.dataset,
        c.quality,
        data.x,
        env.streams,
        s,
        sampler,
      );
      const { ours, theirs, metrics, details } = ncsn.comparisonFigures(
        data.dataset,
        c.quality,
        run,
        model,
        s.sigmaMax,
        {
          spreadRule_sigmaMax: spread.sigmaMax,
          ...ncsn.oracleFigures(spread.judged.quality, "spreadRule"),
        },
      );
      return {
        metrics,
        details,
        files: [{ name: "samples.csv", content: samplesCsv(run.learned.x) }],
        probe: ours.probe,
        ...ncsnPage(c, { data: data.x, run, ours, theirs, losses: model.losses, metrics }, spread),
      };
    } finally {
      model.dispose();
    }
  },
};
