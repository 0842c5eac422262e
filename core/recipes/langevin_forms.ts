/**
 * Langevin as the seeds write it: the three discretisations of `core/samplers/langevin.ts` on a
 * Gaussian target, where each one's stationary law is known in closed form, and on a mixture, where
 * the seeds' "tempered" form (x + (h/2) s + sqrt(2h) z) lands on p^{1/2} instead of p.
 *
 * On N(0, v I) a step is x' = c x + b z with c = 1 - d/v (d the drift factor h/2 or h) and b^2 the
 * noise variance (h or 2h), so the stationary variance is b^2 / (1 - c^2):
 *   half: v / (1 - h/(4v)),   full: v / (1 - h/(2v)),   tempered: 2v / (1 - h/(4v)).
 */
import * as tf from "@tensorflow/tfjs";
import type { GaussianMixture } from "../data/mixtures.ts";
import { MixtureOracle } from "../data/mixtures.ts";
import { langevin, type LangevinForm } from "../samplers/langevin.ts";
import type { RunEnv } from "../runtime/env.ts";

/** The stationary variance of ULA in `form` with step h on N(0, v I) (see the module doc). */
export function ulaStationaryVariance(form: LangevinForm, h: number, v: number): number {
  const d = form === "full" ? h : h / 2, b2 = form === "half" ? h : 2 * h;
  const c = 1 - d / v;
  if (Math.abs(c) >= 1) return Infinity;
  return b2 / (1 - c * c);
}

/**
 * p^{1/2} of a mixture with well-separated modes: the same means, each component's std times
 * sqrt(2), weights proportional to sqrt(w_k) (exact only as the modes' overlap vanishes).
 */
export function temperedMixture(m: GaussianMixture): GaussianMixture {
  const r = m.weights.map(Math.sqrt), z = r.reduce((a, b) => a + b, 0);
  return { means: m.means, std: m.std * Math.SQRT2, weights: r.map((w) => w / z) };
}

/** Final states of `chains` chains from N(0, I) after `steps` steps (purpose `<name>`). */
export function chainsFromNormal(
  env: RunEnv,
  score: (x: tf.Tensor2D) => tf.Tensor2D,
  name: string,
  o: { chains: number; steps: number; stepSize: number; form: LangevinForm },
): Float32Array {
  const start = tf.tidy(() => env.streams.perSample(`${name}/start`, 0, o.chains).normal(2));
  try {
    return langevin(score, start, env.streams.perSample(name, 0, o.chains), o).x;
  } finally {
    start.dispose();
  }
}

/** Mean of x^2 over every coordinate (the variance of a zero-mean law). */
export function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s / x.length;
}

/** One form at one step on N(0, v I). */
export interface GaussianForm {
  form: LangevinForm;
  stepSize: number;
  /** The chains' final variance and the closed-form stationary variance. */
  measured: number;
  predicted: number;
  /** |measured / predicted - 1|. */
  ratioError: number;
  /** predicted / v - 1: the form's bias (1 + twice ULA's for "tempered"). */
  bias: number;
}

/** Each form at each step on the Gaussian target: measured and closed-form stationary variances. */
export async function gaussianForms(
  env: RunEnv,
  v: number,
  o: { chains: number; steps: number; stepSizes: number[]; forms: LangevinForm[] },
): Promise<GaussianForm[]> {
  const phase = env.progress.phase("gaussian", o.forms.length * o.stepSizes.length);
  const out: GaussianForm[] = [];
  for (const form of o.forms) {
    for (const stepSize of o.stepSizes) {
      const x = chainsFromNormal(
        env,
        (x) => tf.div(x, -v) as tf.Tensor2D,
        `gaussian/${form}/${stepSize}`,
        { chains: o.chains, steps: o.steps, stepSize, form },
      );
      const measured = meanSquare(x), predicted = ulaStationaryVariance(form, stepSize, v);
      out.push({
        form,
        stepSize,
        measured,
        predicted,
        ratioError: Math.abs(measured / predicted - 1),
        bias: predicted / v - 1,
      });
      await phase.tick();
    }
  }
  phase.done();
  return out;
}

/** Each form's final states on a mixture's exact score. */
export async function mixtureForms(
  env: RunEnv,
  m: GaussianMixture,
  o: { chains: number; steps: number; stepSize: number; forms: LangevinForm[] },
): Promise<{ form: LangevinForm; x: Float32Array }[]> {
  const oracle = new MixtureOracle(m);
  const phase = env.progress.phase("mixture", o.forms.length);
  try {
    const out = [];
    for (const form of o.forms) {
      const x = chainsFromNormal(env, (x) => oracle.score(x), `mixture/${form}`, { ...o, form });
      out.push({ form, x });
      await phase.tick();
    }
    return out;
  } finally {
    phase.done();
    oracle.dispose();
  }
}
