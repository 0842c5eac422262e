/**
 * `seed002-pipeline`: seed 002's code run as printed (ScoreNetwork with the raw σ as input,
 * full-batch DSM at σ ∈ logspace(-2, 1, 10), annealed Langevin with ε = 0.1 (σ/σ_last)²), beside
 * the sampler's list reversed and the corrected sampler, each also driven by the exact score.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { unless } from "../core/spec/rules.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import * as seed002 from "../core/recipes/seed002.ts";
import { QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import { scoreFromMixture } from "../core/models.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import {
  DEFAULT_QUALITY,
  QualityJudge,
  type QualityOptions,
  QUICK_QUALITY,
} from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { seed002Page } from "./seed002_pipeline.page.ts";

/** The config of `seed002-pipeline`. */
export interface Seed002PipelineConfig extends seed002.Seed002Config {
  data: DataConfig<"ring8" | "three_clusters">;
  quality: QualityOptions;
}

const full: Seed002PipelineConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...seed002.SEED_002,
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<Seed002PipelineConfig>({
  data: dataSection(["ring8", "three_clusters"] as const),
  ...seed002.SEED_002_SECTION.schema,
  quality: QUALITY,
}, [
  (c) =>
    unless(c.sigmas.lo < c.sigmas.hi, "sigmas.lo", c.sigmas.lo, `below sigmas.hi (${c.sigmas.hi})`),
]);

/** The experiment `seed002-pipeline`. */
export const seed002Pipeline: Experiment<Seed002PipelineConfig> = {
  name: "seed002-pipeline",
  title: "Seed 002's pipeline as printed, and corrected",
  description:
    "Seed 002's code on ring8: its ScoreNetwork (x and the raw σ into a 2 × 128 ReLU MLP) trained on the " +
    "full data at every step, one σ per step from logspace(−2, 1, 10), 1000 steps; then its annealed " +
    "Langevin as printed (the σ list ascending, ε = 0.1 (σ/σ_last)², from 0.01 N(0, I)), the list reversed " +
    "with the same step rule, and the corrected sampler (descending, ε = 2e-5 σ²/σ_L²) on a corrected " +
    "network (the same net, its loss weighted by σ² and its output divided by σ); each sampler also with the " +
    "exact score.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      data: { trainSize: 2000 },
      train: { steps: 150 },
      sample: { samples: 500 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the corrected pipeline (network and sampler)"),
    finalLoss: {
      description: "mean DSM loss of the seed's network over its last 100 steps",
      better: "lower",
    },
    mmd2_literal: {
      description: "MMD² of the pipeline as printed (seed's network, ascending σ)",
      better: "lower",
    },
    radiusMean_literal: { description: "mean |x| of the printed sampler's samples (ring8: 3)" },
    radiusMean_corrected: { description: "mean |x| of the corrected sampler's samples" },
    nonFinite_reversed: { description: "samples that blew up with the list reversed, same ε rule" },
    nonFinite_seedNetCorrected: {
      description:
        "samples that blew up with the corrected sampler on the seed's (unweighted) network",
    },
    mmd2_literalExact: { description: "the printed sampler with the exact score", better: "lower" },
    mmd2_correctedExact: {
      description: "the corrected sampler with the exact score",
      better: "lower",
    },
  },

  // The seed's network, the corrected one and the exact score are independent jobs.
  parts: () => ["seed", "corrected", "exact"],

  async runPart(env, part): Promise<Seed002Part> {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    if (part === "exact") {
      const oracle = new MixtureOracle(data.dataset.mixture!);
      try {
        return { samples: seed002.sampleSeed002(env, scoreFromMixture(oracle), c) };
      } finally {
        oracle.dispose();
      }
    }
    const sub = { ...env, streams: env.streams.child(part) };
    const net = await seed002.trainSeed002Net(sub, data.x, c, part === "corrected");
    try {
      return { samples: seed002.sampleSeed002Net(env, net, c), losses: net.losses };
    } finally {
      net.dispose();
    }
  },

  run({ config: c, streams, parts }) {
    const data = loadData(c.data, streams);
    const judge = new QualityJudge(data.dataset, c.quality);
    const p = parts as Record<string, Seed002Part>;
    const [seedNet, correctedNet, exact] = [p.seed.samples, p.corrected.samples, p.exact.samples];
    const r = seed002.seed002Figures(judge, { seedNet, correctedNet, exact }, p.seed.losses!);
    const main = correctedNet.corrected.x;
    return Promise.resolve({
      metrics: { ...r.quality, ...r.figures },
      details: { perMode: r.perMode },
      files: [{ name: "samples.csv", content: samplesCsv(main) }],
      probe: judge.probe(main),
      ...seed002Page(c, {
        seedNet,
        correctedNet,
        exact,
        losses: [p.seed.losses!, p.corrected.losses!],
      }),
    });
  },
};

/** What one part returns: the three samplers' results, and a network's training losses. */
type Seed002Part = { samples: seed002.Seed002Samples; losses?: Float32Array };
