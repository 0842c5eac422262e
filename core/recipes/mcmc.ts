/**
 * The MCMC recipe (seeds 002 and 003): a known target and no network. Unadjusted Langevin and MALA
 * on a mixture's exact score, every chain from one start, for several step sizes; beside them
 * annealed Langevin on the same budget of steps. Each sampler is measured (MMD^2 to the true law,
 * modes covered) at checkpoints along the way.
 */
import * as tf from "@tensorflow/tfjs";
import { countNonFinite, finiteRows } from "../metrics/points.ts";
import { type GaussianMixture, MixtureOracle, sampleMixture } from "../data/mixtures.ts";
import { scoreFromMixture } from "../models.ts";
import { geometricSigmas } from "../noise/schedules.ts";
import { langevin, type LangevinForm } from "../samplers/langevin.ts";
import { mala } from "../samplers/mala.ts";
import { annealedLangevin } from "../samplers/annealed_langevin.ts";
import type { SamplerResult } from "../samplers/result.ts";
import { modeCoverage } from "../metrics/modes.ts";
import type { QualityJudge } from "../metrics/quality.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules, unless, type Violation } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";

/** The chains section: how many, from where, with which step sizes, for how long. */
export interface ChainsConfig {
  chains: number;
  /** The point every chain starts from. */
  start: number[];
  /** Step sizes of the "half" discretisation x + (stepSize/2) s + sqrt(stepSize) z. */
  stepSizes: number[];
  form: LangevinForm;
  steps: number;
  /** Step counts at which MMD and coverage are measured. */
  checkpoints: number[];
}

/** The rules of {@link ChainsConfig}. */
export const CHAINS: Section<ChainsConfig> = {
  schema: {
    chains: rules.int(2, 100_000),
    start: rules.list(rules.number(-100, 100), 2, 2),
    stepSizes: rules.list(rules.positive(10), 1, 8),
    form: rules.oneOf("half", "full"),
    steps: rules.positiveInt(1_000_000),
    checkpoints: rules.list(rules.positiveInt(1_000_000), 1, 20),
  },
  checks: [(c) =>
    unless(
      c.checkpoints.every((k) => k <= c.steps),
      "checkpoints",
      c.checkpoints,
      `step counts <= steps (${c.steps})`,
    )],
};

/** Annealed Langevin on the chains' budget: `levels` geometric sigmas, steps / levels steps each. */
export interface AnnealedBudgetConfig {
  sigmaMax: number;
  sigmaMin: number;
  levels: number;
  /** Step alpha sigma_i^2 / sigma_L^2. */
  alpha: number;
}

/** The rules of {@link AnnealedBudgetConfig}. */
export const ANNEALED_BUDGET: Section<AnnealedBudgetConfig> = {
  schema: {
    sigmaMax: rules.positive(100),
    sigmaMin: rules.positive(100),
    levels: rules.int(1, 1000),
    alpha: rules.positive(1),
  },
  checks: [
    (a) => unless(a.sigmaMin < a.sigmaMax, "sigmaMin", a.sigmaMin, "a number < annealed.sigmaMax"),
  ],
};

/** The check that the annealed levels divide the chains' budget of steps. */
export function levelsDivideSteps(
  c: { chains: ChainsConfig; annealed: AnnealedBudgetConfig },
): Violation | null {
  return unless(
    c.chains.steps % c.annealed.levels === 0,
    "annealed.levels",
    c.annealed.levels,
    `a divisor of chains.steps (${c.chains.steps})`,
  );
}

/** A step size as a short label (`ula_e0.02`). */
export function stepLabel(stepSize: number): string {
  return String(Number(stepSize.toPrecision(3)));
}

/** One point of a sampler's curve. */
export interface ChainPoint {
  sampler: string;
  steps: number;
  mmd2: number;
  modes: number;
  [key: string]: string | number;
}

/** What {@link langevinComparison} returns. */
export interface LangevinComparison {
  /** Every sampler at its checkpoints. */
  curves: ChainPoint[];
  /** `mmd2_<sampler>`, `modes_<sampler>` after all steps and `acceptance_mala_e<step>`. */
  metrics: Record<string, number>;
  /** Every sampler's final states, in run order. */
  finals: { name: string; x: Float32Array }[];
  annealed: SamplerResult;
}

/**
 * ULA and MALA at each step size (purposes `ula_e<step>`, `mala_e<step>`) and annealed Langevin
 * (purpose `annealed`, its trajectory keyed by steps taken) on the mixture's exact score.
 */
export async function langevinComparison(
  env: RunEnv,
  mixture: GaussianMixture,
  judge: QualityJudge,
  c: { chains: ChainsConfig; annealed: AnnealedBudgetConfig },
): Promise<LangevinComparison> {
  const ch = c.chains;
  const oracle = new MixtureOracle(mixture);
  const target = targetOf(oracle);
  const start = tf.tidy(() => tf.tile(tf.tensor2d([ch.start]), [ch.chains, 1]) as tf.Tensor2D);
  const out: Omit<LangevinComparison, "annealed"> = { curves: [], metrics: {}, finals: [] };
  // Chains that blew up are counted and left out; with fewer than 2 finite chains the figures are
  // NaN, which the golden gate reads as a regression.
  const figures = (x: Float32Array) => {
    const finite = finiteRows(x, 2);
    return finite.length < 4 ? { mmd2: NaN, modes: NaN } : {
      mmd2: judge.mmd2(finite),
      modes: modeCoverage(finite, mixture.means, mixture.std).covered,
    };
  };
  const record = (name: string, r: SamplerResult, at: number[]) => {
    for (const k of at) {
      out.curves.push({ sampler: name, steps: k, ...figures(r.trajectory.get(k) ?? r.x) });
    }
    const last = figures(r.x);
    out.metrics[`mmd2_${name}`] = last.mmd2;
    out.metrics[`modes_${name}`] = last.modes;
    out.metrics[`nonFinite_${name}`] = countNonFinite(r.x, 2);
    out.finals.push({ name, x: r.x });
  };
  const phase = env.progress.phase("chains", 2 * ch.stepSizes.length + 1);
  try {
    for (const stepSize of ch.stepSizes) {
      const name = `ula_e${stepLabel(stepSize)}`;
      const noise = env.streams.perSample(name, 0, ch.chains);
      const o = { steps: ch.steps, stepSize, form: ch.form, keep: ch.checkpoints };
      record(name, langevin(target.score, start, noise, o), ch.checkpoints);
      await phase.tick();
      const mname = `mala_e${stepLabel(stepSize)}`;
      const m = mala(target, start, env.streams.perSample(mname, 0, ch.chains), {
        steps: ch.steps,
        stepSize,
        keep: ch.checkpoints,
      });
      record(mname, m, ch.checkpoints);
      out.metrics[`acceptance_${mname}`] = m.acceptance;
      await phase.tick();
    }
    const a = c.annealed;
    const perLevel = ch.steps / a.levels;
    const levels = Array.from({ length: a.levels }, (_, i) => i);
    const annealed = annealedLangevin(
      scoreFromMixture(oracle),
      start,
      geometricSigmas(a.sigmaMax, a.sigmaMin, a.levels),
      env.streams.perSample("annealed", 0, ch.chains),
      {
        stepsPerLevel: perLevel,
        rule: { kind: "ratio", alpha: a.alpha },
        form: ch.form,
        keep: levels,
      },
    );
    // Re-key the annealed trajectory by steps taken, to share the x axis with the others.
    annealed.trajectory = new Map(
      [...annealed.trajectory].map(([i, x]) => [(i + 1) * perLevel, x]),
    );
    record("annealed", annealed, levels.map((i) => (i + 1) * perLevel));
    return { ...out, annealed };
  } finally {
    phase.done();
    start.dispose();
    oracle.dispose();
  }
}

/** The stationarity check: chains started at exact draws of the target, run for `steps` steps. */
export interface StationaryConfig {
  chains: number;
  steps: number;
}

/** The rules of {@link StationaryConfig}. */
export const STATIONARY: Section<StationaryConfig> = {
  schema: { chains: rules.int(4, 100_000), steps: rules.positiveInt(1_000_000) },
};

/**
 * Does each sampler leave the target invariant? ULA and MALA at each step size, started from
 * `o.chains` exact draws of the mixture (stream `stationary/start`), run `o.steps` steps (streams
 * `stationary/<sampler>`); `stationaryGap_<sampler>` is the final states' log-density gap to a true
 * sample of the same size. An exact sampler (MALA, whatever its step) stays at the Monte Carlo
 * floor; ULA's O(step) bias widens every mode and lifts it. The one-start comparison above cannot
 * show this: there, speed of mixing across modes dominates every figure.
 */
export function stationarityCheck(
  env: RunEnv,
  mixture: GaussianMixture,
  judge: QualityJudge,
  stepSizes: number[],
  form: LangevinForm,
  o: StationaryConfig,
): Record<string, number> {
  const oracle = new MixtureOracle(mixture);
  const target = targetOf(oracle);
  const draws = sampleMixture(mixture, o.chains, env.streams.get("stationary/start")).x;
  const start = tf.tensor2d(draws, [o.chains, 2]);
  const metrics: Record<string, number> = {};
  try {
    for (const stepSize of stepSizes) {
      for (const kind of ["ula", "mala"] as const) {
        const name = `${kind}_e${stepLabel(stepSize)}`;
        const noise = env.streams.perSample(`stationary/${name}`, 0, o.chains);
        const r = kind === "ula"
          ? langevin(target.score, start, noise, { steps: o.steps, stepSize, form })
          : mala(target, start, noise, { steps: o.steps, stepSize });
        const gap = countNonFinite(r.x, 2) > 0
          ? Infinity
          : judge.figures(r.x).quality.logDensityGap!;
        metrics[`stationaryGap_${name}`] = gap;
      }
    }
    return metrics;
  } finally {
    start.dispose();
    oracle.dispose();
  }
}

/** The mixture's exact score and log-density as the target of ULA and MALA. */
function targetOf(oracle: MixtureOracle) {
  return {
    score: (x: tf.Tensor2D) => oracle.score(x),
    logDensity: (x: tf.Tensor2D) => oracle.logDensity(x),
  };
}
