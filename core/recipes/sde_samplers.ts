/**
 * Every SDE sampler behind one call with an NFE budget, for sweeps: the number of steps each
 * sampler can afford (PC and Heun spend 2 evaluations per step, RK4 4), or, for the adaptive
 * solver, a tolerance (its NFE is what it needed, reported as such).
 */
import type { ScoreFn } from "../models.ts";
import type { Sde } from "../noise/sde.ts";
import type { SampleNoise } from "../runtime/random.ts";
import { reverseSdeSample } from "../samplers/reverse_sde.ts";
import { pcSample } from "../samplers/pc.ts";
import { pfOdeSample } from "../samplers/pf_ode.ts";
import { ddimSample } from "../samplers/ddim.ts";
import { uniformTimes } from "../solvers/solve.ts";
import type { SamplerResult } from "../samplers/result.ts";
import * as tf from "@tensorflow/tfjs";
import type { GaussianMixture } from "../data/mixtures.ts";
import { modeCoverage } from "../metrics/modes.ts";
import { countNonFinite, finiteRows } from "../metrics/points.ts";
import type { QualityJudge } from "../metrics/quality.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules, unless } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import type { MetricSpec } from "../spec/metrics.ts";

/** The samplers of the SDE sweep. */
export type SdeSamplerName = "em" | "pc" | "ddim" | "euler" | "heun" | "rk4" | "adaptive";

/** All of them, in display order. */
export const SDE_SAMPLERS: SdeSamplerName[] = [
  "em",
  "pc",
  "ddim",
  "euler",
  "heun",
  "rk4",
  "adaptive",
];

/** Options of {@link sampleSde}. */
export interface SampleSdeOptions {
  dim: number;
  /** End time of the samplers (1e-3). */
  tEnd: number;
  /** NFE budget (fixed-cost samplers). */
  nfe: number;
  /** rtol = atol of the adaptive solver. */
  tolerance: number;
}

/**
 * Draw samples with `name` from the prior of `sde`: "em" reverse-SDE Euler-Maruyama, "pc"
 * predictor-corrector (Euler-Maruyama + Langevin, snr 0.16), "ddim" (eta = 0, alphaBar = mean(t)^2),
 * and the probability-flow ODE by "euler", "heun", "rk4" or "adaptive" (Dormand-Prince).
 */
export function sampleSde(
  name: SdeSamplerName,
  sde: Sde,
  score: ScoreFn,
  noise: SampleNoise,
  o: SampleSdeOptions,
): SamplerResult {
  const base = { dim: o.dim, tEnd: o.tEnd };
  switch (name) {
    case "em":
      return reverseSdeSample(sde, score, noise, { ...base, steps: o.nfe });
    case "pc":
      return pcSample(sde, score, noise, { ...base, steps: Math.max(1, Math.floor(o.nfe / 2)) });
    case "ddim": {
      const times = uniformTimes(sde.T, o.tEnd, o.nfe - 1);
      const alphaBars = Float64Array.from(times, (t) => sde.meanCoef(t) ** 2);
      const eps = (x: tf.Tensor2D, k: number) =>
        tf.tidy(() => tf.mul(-sde.std(times[k]), score(x, times[k])) as tf.Tensor2D);
      return ddimSample(eps, alphaBars, noise, { dim: o.dim, eta: 0 });
    }
    case "euler":
      return pfOdeSample(sde, score, noise, { kind: "fixed", method: "euler", steps: o.nfe }, base);
    case "heun":
      return pfOdeSample(sde, score, noise, {
        kind: "fixed",
        method: "heun",
        steps: Math.max(1, Math.floor(o.nfe / 2)),
      }, base);
    case "rk4":
      return pfOdeSample(sde, score, noise, {
        kind: "fixed",
        method: "rk4",
        steps: Math.max(1, Math.floor(o.nfe / 4)),
      }, base);
    case "adaptive":
      return pfOdeSample(sde, score, noise, {
        kind: "adaptive",
        rtol: o.tolerance,
        atol: o.tolerance,
      }, base);
  }
}

/** The sweep section: samplers, NFE budgets and the headline budget that is golden-checked. */
export interface SweepConfig {
  samplers: SdeSamplerName[];
  nfes: number[];
  /** rtol = atol of the adaptive solver, one per entry of `nfes` (its NFE is what it needs). */
  tolerances: number[];
  samples: number;
  /** NFE at which each sampler's metrics are golden-checked. */
  headlineNfe: number;
  /** Last time of the samplers. */
  tEnd: number;
}

/** The rules of {@link SweepConfig}. */
export const SWEEP: Section<SweepConfig> = {
  schema: {
    samplers: rules.list(rules.oneOf(...SDE_SAMPLERS), 1, 7),
    nfes: rules.list(rules.int(2, 100_000), 1, 12),
    tolerances: rules.list(rules.tolerance(), 1, 12),
    samples: rules.int(2, 1_000_000),
    headlineNfe: rules.int(2, 100_000),
    tEnd: rules.positive(0.5),
  },
  checks: [
    (c) =>
      unless(new Set(c.samplers).size === c.samplers.length, "samplers", c.samplers, "distinct"),
    (c) => unless(new Set(c.nfes).size === c.nfes.length, "nfes", c.nfes, "distinct budgets"),
    (c) =>
      unless(
        c.tolerances.length === c.nfes.length,
        "tolerances",
        c.tolerances,
        `${c.nfes.length} values, one per NFE`,
      ),
    (c) =>
      unless(
        c.nfes.includes(c.headlineNfe),
        "headlineNfe",
        c.headlineNfe,
        `one of nfes (${c.nfes.join(", ")})`,
      ),
  ],
};

/** The specs of {@link SweepResult.metrics}: per sampler at the headline NFE, both scores. */
export const SWEEP_METRICS: Record<string, MetricSpec> = {
  "mmd2_*": {
    description: "MMD² of the learned model's samples per sampler at the headline NFE",
    better: "lower",
  },
  "modes_*": {
    description: "modes covered by the learned model per sampler at the headline NFE",
    better: "higher",
  },
  "nonFinite_*": {
    description: "samples with a non-finite coordinate per sampler at the headline NFE",
    better: "lower",
  },
  "oracleNonFinite_*": { description: "the same with the exact score", better: "lower" },
  "oracleMmd2_*": {
    description: "MMD² of the exact score's samples per sampler at the headline NFE",
    better: "lower",
  },
  "oracleModes_*": {
    description: "modes covered with the exact score per sampler at the headline NFE",
    better: "higher",
  },
};

/** One sampler at one budget with one score. */
export interface SweepRow {
  model: string;
  sampler: SdeSamplerName;
  nfe: number;
  budget: number;
  /** Null when fewer than 4 samples are finite. */
  mmd2: number | null;
  modes: number;
  nonFinite: number;
  [key: string]: string | number | null;
}

/** What {@link samplerSweep} returns. */
export interface SweepResult {
  rows: SweepRow[];
  /** Wall seconds of each cell. */
  timeRows: { model: string; sampler: SdeSamplerName; nfe: number; seconds: number }[];
  /** The first score's samples of every cell, and those at the headline budget. */
  samples: { sampler: SdeSamplerName; nfe: number; budget: number; x: Float32Array }[];
  /**
   * At the headline budget, per sampler: `nonFinite_`, `mmd2_`, `modes_` for the first score and
   * `oracleNonFinite_`, `oracleMmd2_`, `oracleModes_` for the second. A sampler that blew up on
   * every sample has no MMD² or modes: those gated metrics are then missing, which the golden
   * check counts as a regression.
   */
  metrics: Record<string, number>;
}

/**
 * Every sampler at every budget for each score (the first the learned model, the second the exact
 * score), from the same per-sample noise (purpose `sample`), measured against the mixture.
 */
export async function samplerSweep(
  env: RunEnv,
  sde: Sde,
  scores: [string, ScoreFn][],
  judge: QualityJudge,
  mixture: GaussianMixture,
  c: SweepConfig,
): Promise<SweepResult> {
  const out: SweepResult = { rows: [], timeRows: [], samples: [], metrics: {} };
  const phase = env.progress.phase("samplers", scores.length * c.samplers.length * c.nfes.length);
  for (const [index, [model, score]] of scores.entries()) {
    for (const name of c.samplers) {
      for (const [j, nfe] of c.nfes.entries()) {
        const start = performance.now();
        const r = sampleSde(name, sde, score, env.streams.perSample("sample", 0, c.samples), {
          dim: 2,
          tEnd: c.tEnd,
          nfe,
          tolerance: c.tolerances[j],
        });
        const seconds = (performance.now() - start) / 1000;
        const bad = countNonFinite(r.x, 2);
        const finite = finiteRows(r.x, 2);
        const ok = finite.length >= 4;
        const mmd = ok ? judge.mmd2(finite) : null;
        const modes = ok ? modeCoverage(finite, mixture.means, mixture.std).covered : 0;
        out.rows.push({
          model,
          sampler: name,
          nfe: r.nfe,
          budget: nfe,
          mmd2: mmd,
          modes,
          nonFinite: bad,
        });
        out.timeRows.push({ model, sampler: name, nfe: r.nfe, seconds });
        if (index === 0) out.samples.push({ sampler: name, nfe: r.nfe, budget: nfe, x: r.x });
        await phase.tick();
      }
    }
  }
  phase.done();
  out.metrics = headlineMetrics(out.rows, scores[0][0], c.headlineNfe);
  return out;
}

/** The headline metrics of a sweep's rows (see {@link SweepResult.metrics}); `first` names the first score. */
function headlineMetrics(rows: SweepRow[], first: string, headlineNfe: number) {
  const metrics: Record<string, number> = {};
  for (const r of rows) {
    if (r.budget !== headlineNfe) continue;
    const oracle = r.model !== first, name = r.sampler;
    metrics[oracle ? `oracleNonFinite_${name}` : `nonFinite_${name}`] = r.nonFinite;
    if (r.mmd2 !== null) {
      metrics[oracle ? `oracleMmd2_${name}` : `mmd2_${name}`] = r.mmd2;
      metrics[oracle ? `oracleModes_${name}` : `modes_${name}`] = r.modes;
    }
  }
  return metrics;
}

/**
 * Sweeps of some samplers each, with the same scores (the parts of one sweep, say one sampler per
 * worker), joined into what one {@link samplerSweep} of `c.samplers` returns: the same rows,
 * samples and metrics in the same order.
 */
export function joinSweeps(parts: SweepResult[], c: SweepConfig): SweepResult {
  const models = [...new Set(parts.flatMap((p) => p.rows.map((r) => r.model)))];
  const inOrder = <T extends { sampler: SdeSamplerName }>(pick: (p: SweepResult) => T[]) =>
    c.samplers.flatMap((s) => parts.flatMap((p) => pick(p).filter((r) => r.sampler === s)));
  const rows = models.flatMap((m) => inOrder((p) => p.rows.filter((r) => r.model === m)));
  return {
    rows,
    timeRows: models.flatMap((m) => inOrder((p) => p.timeRows.filter((r) => r.model === m))),
    samples: inOrder((p) => p.samples),
    metrics: models.length ? headlineMetrics(rows, models[0], c.headlineNfe) : {},
  };
}
