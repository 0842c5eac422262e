/**
 * `nll-oracle`: the proof of the likelihood code. Under the VP SDE with the exact score of a
 * mixture, the probability-flow-ODE NLL of data points must equal the closed-form -log p(x0).
 * Besides the main solve (adaptive Dormand-Prince, rtol = atol = 1e-5, exact divergence, from
 * t = 1e-5), it measures RK4 at fixed steps, Hutchinson's estimator, the solver's tolerances, and the
 * cost of the N(0, I) prior standing in for the exact marginal at t = 1.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { rules } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { vpSde } from "../core/noise/sde.ts";
import {
  type NllCheck,
  nllCheck,
  type NllCheckConfig,
  nllCheckMetrics,
} from "../core/recipes/nll_check.ts";
import { nllOraclePage, nllTable, solveTimes } from "./nll_oracle.page.ts";

/** The config of `nll-oracle`. */
export interface NllOracleConfig {
  datasets: ("ring8" | "three_clusters" | "grid25")[];
  points: number;
  /** The VP SDE: beta(t) linear from betaMin to betaMax over t in [0, 1]. */
  sde: { betaMin: number; betaMax: number };
  check: NllCheckConfig;
}

const full: NllOracleConfig = {
  datasets: ["ring8", "three_clusters"],
  points: 500,
  sde: { betaMin: 0.1, betaMax: 20 },
  check: {
    tMin: 1e-5,
    tolerance: 1e-5,
    tolerances: [1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
    rk4Steps: [50, 100, 200],
    hutchinsonProbes: [1, 10],
  },
};

const { schema, checks } = assemble<NllOracleConfig>({
  datasets: rules.list(rules.oneOf("ring8", "three_clusters", "grid25"), 1, 3),
  points: rules.int(1, 100_000),
  sde: { schema: { betaMin: rules.positive(100), betaMax: rules.positive(1000) } },
  check: {
    schema: {
      tMin: rules.positive(0.5),
      tolerance: rules.tolerance(),
      tolerances: rules.list(rules.tolerance(), 1, 10),
      rk4Steps: rules.list(rules.int(1, 100_000), 1, 10),
      hutchinsonProbes: rules.list(rules.int(1, 1000), 1, 10),
    },
  },
});

const exactFloat32 = { gate: { exact: "float32" }, unit: "nats" } as const;

/** The experiment `nll-oracle`. */
export const nllOracle: Experiment<NllOracleConfig> = {
  name: "nll-oracle",
  title: "Likelihood by the probability-flow ODE, checked against the closed form",
  description:
    "The VP SDE (β from 0.1 to 20) with the exact score of ring8 and three_clusters: the ODE NLL of data " +
    "points against their closed-form −log p(x0). The main check uses the exact marginal at t = 1 as the prior, so " +
    "that it tests the ODE, the divergence and the solver alone; the usual N(0, I) prior is measured separately.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      points: 100,
      check: { tolerances: [1e-3, 1e-5], rk4Steps: [50], hutchinsonProbes: [1] },
    }),
  },
  schema,
  checks,
  metrics: {
    "mad_*": {
      description:
        "mean |NLL_ODE − (−log p(x0))| with the exact marginal at t = 1 as prior (the code check: ≤ 1e-3)",
      better: "lower",
      headline: true,
      ...exactFloat32,
    },
    "madPriorN01_*": {
      description:
        "the same with the usual N(0, I) prior: adds the prior's approximation (zero-mean-data mixtures " +
        "pay only at second order)",
      better: "lower",
      ...exactFloat32,
    },
    "nfe_*": {
      description: "function evaluations of the main adaptive solve (the batch shares its steps)",
    },
    "madRk4_*": {
      description: "mean error of RK4 with the given number of steps",
      better: "lower",
      ...exactFloat32,
    },
    "madHutchinson_*": {
      description:
        "mean |difference| between Hutchinson's estimate (Rademacher probes held for the solve) and the exact divergence",
      better: "lower",
      ...exactFloat32,
    },
    "madTol_*": {
      description: "mean error of the adaptive solve at the given rtol = atol",
      better: "lower",
      ...exactFloat32,
    },
    "nfeTol_*": { description: "function evaluations at the given rtol = atol" },
  },

  async run({ config: c, streams, progress }) {
    const sde = vpSde(c.sde.betaMin, c.sde.betaMax);
    const k = c.check;
    const phase = progress.phase(
      "solves",
      c.datasets.length * (2 + k.tolerances.length + k.rk4Steps.length + k.hutchinsonProbes.length),
    );
    const results: Record<string, NllCheck> = {};
    for (const name of c.datasets) {
      const x = DATASETS[name].sample(c.points, streams.get(`points/${name}`)).x;
      results[name] = await nllCheck(
        sde,
        DATASETS[name].mixture!,
        x,
        k,
        (n) => streams.get(`probes/${name}/${n}`),
        phase,
      );
    }
    phase.done();
    const metrics = Object.assign({}, ...c.datasets.map((n) => nllCheckMetrics(n, results[n])));
    const page = nllOraclePage(c, results, metrics);
    return {
      metrics,
      details: page.details,
      timings: { solveSeconds: solveTimes(results) },
      files: [{ name: "nll.csv", content: nllTable(results) }],
      charts: page.charts,
      notes: page.notes,
    };
  },
};
