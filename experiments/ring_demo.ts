/**
 * `ring-demo`: seed 000's "Visualizing the Diffusion Process". A T = 100 chain on the ring
 * (radius 2 + 0.2 z), its forward states at t = 0, 10, 30, 60, 99, and the reverse chain driven by
 * the seed's heuristic score -x / (1 - alphaBar_t + 0.1), beside the same chain driven by the
 * exact score of the noised ring: what the seed's figure shows, and how far from right it is.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import { ringChains } from "../core/recipes/ring_demo.ts";
import { judgeSamples, QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions, QUICK_QUALITY } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ringDemoPage } from "./ring_demo.page.ts";

/** The config of `ring-demo`. */
export interface RingDemoConfig {
  /** The seed's 500 ring points (shown in the forward panels). */
  data: DataConfig<"ring">;
  chain: ddpm.ChainConfig;
  /** Time indices of the figure's panels; reverse samples drawn by each score. */
  sample: { shown: number[]; samples: number };
  quality: QualityOptions;
}

const full: RingDemoConfig = {
  data: { dataset: "ring", trainSize: 500 },
  chain: { T: 100, betaStart: 1e-4, betaEnd: 0.02 },
  sample: { shown: [0, 10, 30, 60, 99], samples: 2000 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<RingDemoConfig>({
  data: dataSection(["ring"] as const),
  chain: ddpm.CHAIN,
  sample: {
    schema: { shown: rules.list(rules.int(0), 1, 8), samples: rules.int(2, 100_000) },
  },
  quality: QUALITY,
}, [ddpm.timeIndicesOfChain("sample.shown", (c) => c.sample.shown)]);

/** The experiment `ring-demo`. */
export const ringDemo: Experiment<RingDemoConfig> = {
  name: "ring-demo",
  title: "The diffusion demo of seed 000: a heuristic score against the exact one",
  description:
    "Seed 000's forward and reverse diffusion figure on its ring (T = 100, β from 1e-4 to 0.02): the " +
    "reverse chain with the seed's heuristic score −x/(1 − ᾱ_t + 0.1), beside the same chain with the exact " +
    "score of the noised ring (an angular quadrature of its closed form), from the same noise.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      sample: { samples: 500 },
      quality: QUICK_QUALITY,
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the exact score's samples"),
    mmd2Heuristic: {
      description: "MMD² of the heuristic score's samples (same sampler, same noise)",
      better: "lower",
      headline: true,
    },
    "radiusMean_*": { description: "mean |x| of the final samples (the ring: 2)" },
    "radiusStd_*": { description: "standard deviation of |x| (the ring: 0.2)" },
    radiusError: {
      description: "|mean |x| − 2| of the exact score's samples",
      better: "lower",
    },
    "scoreError_t*": {
      description:
        "relative Fisher divergence E|s_heuristic − ∇log q_t|² / E|∇log q_t|² on forward draws at t",
      better: "lower",
    },
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const schedule = ddpm.chainSchedule(c.chain);
    const demo = await ringChains(env, data.x, schedule, c.sample);
    const exact = judgeSamples(data.dataset, c.quality, demo.exact.x);
    const heuristic = judgeSamples(data.dataset, c.quality, demo.heuristic.x);
    const r = demo.radius;
    return {
      metrics: {
        ...exact.quality,
        mmd2Heuristic: heuristic.quality.mmd2,
        radiusMean_heuristic: r.heuristic.mean,
        radiusStd_heuristic: r.heuristic.std,
        radiusMean_exact: r.exact.mean,
        radiusStd_exact: r.exact.std,
        radiusError: r.error,
        ...Object.fromEntries(demo.scoreError.map((e) => [`scoreError_t${e.t}`, e.fisherRel])),
      },
      details: { scoreError: demo.scoreError },
      files: [
        { name: "samples.csv", content: samplesCsv(demo.exact.x) },
        { name: "samples_heuristic.csv", content: samplesCsv(demo.heuristic.x) },
      ],
      probe: exact.probe,
      ...ringDemoPage(c, demo),
    };
  },
};
