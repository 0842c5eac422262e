/**
 * `ncsn-three-clusters-improved`: seed 000's data and network with the techniques of Song & Ermon
 * (2020), "Improved techniques for training score-based generative models", that fix the cluster
 * weights `ncsn-three-clusters` gets wrong. Each technique is a config field.
 */
import type { Experiment, RunContext } from "../core/harness/experiment.ts";
import { rules, unless } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { geometricSigmas } from "../core/noise/schedules.ts";
import { maxPairwiseDistance } from "../core/metrics/points.ts";
import { loadData } from "../core/recipes/data.ts";
import { STEPS, type StepsConfig } from "../core/recipes/train.ts";
import * as ncsn from "../core/recipes/ncsn.ts";
import { DEFAULT_QUALITY } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ncsnImprovedPage } from "./ncsn_three_clusters_improved.page.ts";

/** The config of `ncsn-three-clusters-improved`. */
export interface NcsnImprovedConfig extends ncsn.NcsnBase {
  train: StepsConfig & {
    /**
     * Train on the sampler's levels ("levels": uniform over them, as NCSN) or log-uniform in
     * [sigmaMin, sigma_1] ("logUniform", seed 000). Either way every level the sampler visits is trained.
     */
    sigmas: "levels" | "logUniform";
    /** Technique 5: sample with an exponential moving average of the weights (rate m), not the last iterate. */
    ema: number;
  };
  noise: {
    /**
     * Technique 1: sigma_1 about the largest distance between training points, so that at the top
     * level the noised law is one smooth bump covered by training data everywhere and the sampler
     * moves freely between clusters. True: computed from the data; false: `sigmaMax`.
     */
    sigmaMaxFromData: boolean;
    sigmaMax: number;
    sigmaMin: number;
    /**
     * Technique 2: geometric levels sigma_i = sigma_1 gamma^(i-1), with enough of them that
     * neighbouring noised laws overlap (each level's samples start where the next level is dense).
     */
    levels: number;
  };
  sample: ncsn.AnnealedRunConfig & {
    /**
     * Technique 4: eps_i = alpha sigma_i^2 / sigma_L^2 with T steps per level: the same relative step
     * eps_i / sigma_i^2 = alpha / sigma_L^2 at every level, and enough steps to equilibrate each level.
     */
    alpha: number;
    /** A final denoising step x + sigma_L^2 s(x, sigma_L) (Tweedie): removes the last level's noise. */
    denoise: boolean;
  };
}

const full: NcsnImprovedConfig = {
  ...ncsn.SEED_000,
  train: { steps: 10000, batchSize: 256, lr: 1e-3, sigmas: "levels", ema: 0.999 },
  noise: { sigmaMaxFromData: true, sigmaMax: 7, sigmaMin: 0.01, levels: 30 },
  sample: { alpha: 2e-5, stepsPerLevel: 100, form: "half", denoise: true, samples: 5000 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<NcsnImprovedConfig>({
  ...ncsn.NCSN_SECTIONS,
  train: {
    schema: { ...STEPS.schema, sigmas: rules.oneOf("levels", "logUniform"), ema: rules.emaRate() },
  },
  noise: {
    schema: {
      sigmaMaxFromData: rules.bool(),
      sigmaMax: rules.positive(1000),
      sigmaMin: rules.positive(100),
      levels: rules.int(1, 10_000),
    },
    checks: [(n) =>
      unless(
        n.sigmaMaxFromData || n.sigmaMin < n.sigmaMax,
        "sigmaMin",
        n.sigmaMin,
        `a number < sigmaMax (${n.sigmaMax})`,
      )],
  },
  sample: {
    schema: {
      alpha: rules.positive(1),
      denoise: rules.bool(),
      ...ncsn.ANNEALED_RUN_SCHEMA,
    },
  },
});

const BLOCKS = ["sample-1", "sample-2", "sample-3"];

/** The run's data, noise levels, training draw and sampler options (the same in every part). */
function setup(env: RunContext<NcsnImprovedConfig>) {
  const c = env.config, n = c.noise;
  const data = loadData(c.data, env.streams);
  const sigmaMax = n.sigmaMaxFromData ? maxPairwiseDistance(data.x) : n.sigmaMax;
  const sigmas = geometricSigmas(sigmaMax, n.sigmaMin, n.levels);
  return {
    data,
    sigmaMax,
    sigmas,
    draw: c.train.sigmas === "levels"
      ? { kind: "list" as const, sigmas }
      : { kind: "logUniform" as const, min: n.sigmaMin, max: sigmaMax },
    sampler: { ...c.sample, dim: 2, rule: { kind: "ratio" as const, alpha: c.sample.alpha } },
  };
}

/** The experiment `ncsn-three-clusters-improved`. */
export const ncsnThreeClustersImproved: Experiment<NcsnImprovedConfig> = {
  name: "ncsn-three-clusters-improved",
  title: "NCSN on three clusters, improved",
  description:
    "Seed 000's data and network with Song & Ermon's (2020) improved techniques: σ_max about the largest " +
    "distance between data points, geometric levels trained uniformly, step α σ_i²/σ_L² with more steps per " +
    "level, a final denoising step, and an exponential moving average of the weights. Same metrics as " +
    "`ncsn-three-clusters`, with the exact score as the oracle.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { steps: 600 },
      noise: { levels: 15 },
      sample: { stepsPerLevel: 30, samples: 500 },
      quality: { referenceSize: 2000, permutations: 50, permutationSize: 250 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...ncsn.NCSN_METRICS,
    sigmaMaxUsed: {
      description: "σ_1 used (computed from the data when sigmaMaxFromData)",
      gate: { exact: "float64" },
    },
    annealedReplayOff: {
      description:
        "sampler check: fraction of 64 rows where annealed Langevin (exact score, this run's σ ladder " +
        "and step rule, 5 steps a level, the final denoising step) is more than 1e-4 off its chain " +
        "replayed step by step from the same noise (the denoising step x + σ_L² s without noise)",
      better: "lower",
      gate: { exact: "float32" },
    },
  },

  // The training, then the learned score's samples in three blocks of rows, each a part of its own.
  parts: () => ["train", ...BLOCKS],
  partNeeds: () => Object.fromEntries(BLOCKS.map((b) => [b, ["train"]])),

  async runPart(env, part) {
    const s = setup(env);
    if (part === "train") {
      const c = env.config;
      return { ...await ncsn.trainSavedNcsnNet(env, s.data.x, c, s.draw, c.train.ema) };
    }
    const model = ncsn.loadNcsnNet(env.config, env.parts!.train as unknown as ncsn.SavedNcsnNet);
    try {
      return { x: ncsn.annealedBlock(env, model, s.sigmas, s.sampler, BLOCKS.indexOf(part), 3) };
    } finally {
      model.dispose();
    }
  },

  async run(env) {
    const c = env.config, s = setup(env), { data, sigmaMax, sigmas, sampler } = s;
    const model = ncsn.loadNcsnNet(c, env.parts!.train as unknown as ncsn.SavedNcsnNet);
    const blocks = BLOCKS.map((b) => (env.parts![b] as { x: Float32Array }).x);
    try {
      const m = data.dataset.mixture!, span = { max: sigmaMax, min: c.noise.sigmaMin };
      const run = await ncsn.annealedLearnedVsExact(env, model, m, sigmas, sampler, span, blocks);
      const { ours, theirs, metrics, details } = ncsn.comparisonFigures(
        data.dataset,
        c.quality,
        run,
        model,
        sigmaMax,
        { sigmaMaxUsed: sigmaMax },
      );
      return {
        metrics: { ...metrics, annealedReplayOff: ncsn.annealedReplayOff(env, m, sigmas, sampler) },
        details: { ...details, sigmas: Array.from(sigmas) },
        files: [{ name: "samples.csv", content: samplesCsv(run.learned.x) }],
        probe: ours.probe,
        ...ncsnImprovedPage(c, {
          data: data.x,
          run,
          ours,
          theirs,
          losses: model.losses,
          metrics: { ...metrics, sigmaMaxUsed: sigmaMax },
        }),
      };
    } finally {
      model.dispose();
    }
  },
};
