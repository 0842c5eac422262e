/**
 * Annealed Langevin dynamics (Song & Ermon 2019): Langevin on s(x, sigma_i) for each noise level
 * sigma_1 > ... > sigma_L in turn, T steps per level, with step size
 *
 *   "ratio":        eps_i = alpha sigma_i^2 / sigma_L^2   (Song & Ermon's rule)
 *   "proportional": eps_i = c sigma_i^2                    (seeds 000 and 002)
 *
 * in either discretisation of `langevin.ts`, and optionally a final denoising step
 * x <- x + sigma_L^2 s(x, sigma_L) (Tweedie's formula; "Improved techniques", Song & Ermon 2020),
 * which removes the sigma_L noise the chain still carries.
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "../models.ts";
import type { SampleNoise } from "../runtime/random.ts";
import { type LangevinForm, langevinStep } from "./langevin.ts";
import type { SamplerResult } from "./result.ts";

/** Step size per level (see the module doc). */
export type StepRule = { kind: "ratio"; alpha: number } | { kind: "proportional"; c: number };

/** The step size at level sigma given the smallest level sigmaL. */
export function stepSize(rule: StepRule, sigma: number, sigmaL: number): number {
  return rule.kind === "ratio"
    ? (rule.alpha * sigma * sigma) / (sigmaL * sigmaL)
    : rule.c * sigma * sigma;
}

/** Options of {@link annealedLangevin}. */
export interface AnnealedLangevinOptions {
  stepsPerLevel: number;
  rule: StepRule;
  form: LangevinForm;
  /** Finish with x + sigma_L^2 s(x, sigma_L). */
  denoise?: boolean;
  /** Level indices after which the state is kept (trajectory key = level index). */
  keep?: number[];
}

/** Run annealed Langevin from x0 (not consumed) down the given decreasing sigmas. */
export function annealedLangevin(
  score: ScoreFn,
  x0: tf.Tensor2D,
  sigmas: ArrayLike<number>,
  noise: SampleNoise,
  o: AnnealedLangevinOptions,
): SamplerResult {
  const keep = new Set(o.keep ?? []);
  const trajectory = new Map<number, Float32Array>();
  const dim = x0.shape[1];
  const sigmaL = sigmas[sigmas.length - 1];
  let x = tf.clone(x0);
  let nfe = 0;
  for (let i = 0; i < sigmas.length; i++) {
    const h = stepSize(o.rule, sigmas[i], sigmaL);
    for (let k = 0; k < o.stepsPerLevel; k++) {
      const next = tf.tidy(() =>
        langevinStep(x, score(x, sigmas[i]), h, noise.normal(dim), o.form)
      );
      x.dispose();
      x = next;
      nfe++;
    }
    if (keep.has(i)) trajectory.set(i, x.dataSync() as Float32Array);
  }
  if (o.denoise) {
    const next = tf.tidy(() => tf.add(x, tf.mul(sigmaL * sigmaL, score(x, sigmaL))) as tf.Tensor2D);
    x.dispose();
    x = next;
    nfe++;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return { x: out, trajectory, nfe };
}
