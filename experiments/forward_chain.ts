/**
 * `forward-chain`: seed 001's forward process, run as a Markov chain step by step on ring8 (seed
 * 004's T = 200 linear betas) and checked against its closed form q(x_t | x_0) at several t: each
 * point's standardised residual must be N(0, I), and the states must follow the exact noised law of
 * the mixture (MMD² and mean log-density against it, modes).
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import {
  forwardChain,
  marginalDataset,
  repeatRows,
  residualMoments,
} from "../core/recipes/forward_chain.ts";
import { judgeSamples, QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, type QualityOptions } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { forwardChainPage } from "./forward_chain.page.ts";

/** The config of `forward-chain`. */
export interface ForwardChainConfig {
  data: DataConfig<"ring8" | "three_clusters" | "grid25">;
  chain: ddpm.ChainConfig;
  /**
   * Time indices at which the chain is checked (the last one's states are the samples judged), and
   * how many draws of the one-shot sampler (the data repeated) measure its mean coefficient.
   */
  check: { steps: number[]; samplerDraws: number };
  quality: QualityOptions;
}

const full: ForwardChainConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  chain: ddpm.SEED_004.chain,
  check: { steps: [0, 10, 50, 100, 199], samplerDraws: 100_000 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<ForwardChainConfig>({
  data: dataSection(["ring8", "three_clusters", "grid25"] as const),
  chain: ddpm.CHAIN,
  check: {
    schema: { steps: rules.list(rules.int(0), 1, 10), samplerDraws: rules.int(1, 10_000_000) },
  },
  quality: QUALITY,
}, [ddpm.timeIndicesOfChain("check.steps", (c) => c.check.steps)]);

/** The experiment `forward-chain`. */
export const forwardChainExperiment: Experiment<ForwardChainConfig> = {
  name: "forward-chain",
  title: "The forward chain step by step against its closed form",
  description:
    "Seed 001's forward process run as a Markov chain, x_t = √α_t x_{t−1} + √β_t z, on 5000 points of " +
    "ring8 (T = 200, β from 1e-4 to 0.02), checked at several t against q(x_t | x_0) = N(√ᾱ_t x_0, " +
    "(1 − ᾱ_t) I): each point's standardised residual, and the states against the exact noised mixture.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      data: { trainSize: 2000 },
      quality: { referenceSize: 2000, permutations: 50, permutationSize: 250 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the states at the last checked t against the exact noised law"),
    "residualVarError_t*": {
      description:
        "|variance − 1| of the standardised residuals (x_t − √ᾱ_t x_0)/√(1 − ᾱ_t) over points and coordinates",
      better: "lower",
      headline: true,
    },
    "residualMean_t*": { description: "their mean (0 for the closed form)" },
    "samplerVarError_t*": {
      description:
        "the same |variance − 1| for draws of the one-shot sampler that DDPM training uses (qSample)",
      better: "lower",
    },
    "samplerSlopeError_t*": {
      description:
        "|slope / √ᾱ_t − 1| of the least-squares slope of x_t on x_0 over draws of the one-shot " +
        "sampler (check.samplerDraws, the data repeated): its mean coefficient",
      better: "lower",
    },
    "mmd2_t*": {
      description: "MMD² of the chain's states at t to the exact noised mixture",
      better: "lower",
    },
    "logDensityGap_t*": {
      description: "|mean log q_t(states) − mean log q_t(exact draws)| under the noised mixture",
      better: "lower",
    },
  },

  async run(env) {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const schedule = ddpm.chainSchedule(c.chain);
    const states = await forwardChain(env, schedule, data.x, 2, c.check.steps);
    const metrics: Record<string, number> = {};
    const many = repeatRows(data.x, c.check.samplerDraws * 2);
    const rows = c.check.steps.map((t) => {
      const r = residualMoments(states.get(t)!, data.x, schedule.alphaBar[t]);
      const q = judgeSamples(marginalDataset(data.dataset, schedule, t), c.quality, states.get(t)!);
      metrics[`residualVarError_t${t}`] = r.varianceError;
      metrics[`residualMean_t${t}`] = r.mean;
      const oneShot = ddpm.forwardSample(schedule, data.x, 2, t, env.streams.get("oneShot"));
      metrics[`samplerVarError_t${t}`] = residualMoments(oneShot, data.x, schedule.alphaBar[t])
        .varianceError;
      const drawn = ddpm.forwardSample(schedule, many, 2, t, env.streams.get("slope"));
      metrics[`samplerSlopeError_t${t}`] = residualMoments(drawn, many, schedule.alphaBar[t])
        .slopeError;
      metrics[`mmd2_t${t}`] = q.quality.mmd2;
      metrics[`logDensityGap_t${t}`] = q.quality.logDensityGap!;
      return { t, ...r, judged: q };
    });
    const last = rows[rows.length - 1];
    return {
      metrics: { ...last.judged.quality, ...metrics },
      details: { residuals: rows.map(({ t, mean, variance }) => ({ t, mean, variance })) },
      files: [{ name: "samples.csv", content: samplesCsv(states.get(last.t)!) }],
      probe: last.judged.probe,
      ...forwardChainPage(c, {
        states,
        closedForm: c.check.steps.map((t) =>
          ddpm.forwardSample(schedule, data.x, 2, t, env.streams.get("figures"))
        ),
        residuals: rows,
      }),
    };
  },
};
