/**
 * One trained DDPM chain, studied three ways beside its exact-eps oracle: ancestral samples, DDIM
 * (eta = 0) skipping to K of the chain's T steps, and the chain's variational bound (seed 001's
 * ELBO) on test points. A schedule (linear or cosine betas) is a chain with its own network.
 */
import * as tf from "@tensorflow/tfjs";
import { type ChainElbo, chainElbo } from "../elbo.ts";
import type { Dataset } from "../data/dataset.ts";
import { MixtureOracle } from "../data/mixtures.ts";
import type { QualityJudge } from "../metrics/quality.ts";
import { mean } from "../metrics/statistics.ts";
import { epsFromMixture, epsFromNetwork, type EpsModel } from "../models.ts";
import { cosineBetaSchedule, type DiscreteSchedule, timeSubsequence } from "../noise/schedules.ts";
import { sampleInBatches } from "../samplers/batched.ts";
import { ddimSample } from "../samplers/ddim.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { type AncestralConfig, type ChainConfig, chainSchedule, sampleAncestral } from "./ddpm.ts";
import type { EpsNet } from "./ddpm.ts";

/** The cosine schedule's section: its offset s and the clip of the last betas. */
export interface CosineConfig {
  offset: number;
  maxBeta: number;
}

/** The rules of {@link CosineConfig} (Nichol & Dhariwal: offset 0.008, maxBeta 0.999). */
export const COSINE: Section<CosineConfig> = {
  schema: { offset: rules.number(0, 1), maxBeta: rules.number(0.5, 0.9999) },
};

/** The study's sections: DDIM step counts, ELBO test points. */
export interface StudyConfig {
  ddim: { steps: number[] };
  elbo: { points: number };
}

/** The rules of {@link StudyConfig}'s sections. */
export const STUDY: { ddim: Section<StudyConfig["ddim"]>; elbo: Section<StudyConfig["elbo"]> } = {
  ddim: { schema: { steps: rules.list(rules.int(1, 10_000), 1, 10) } },
  elbo: { schema: { points: rules.int(2, 20_000) } },
};

/** The schedules compared: seed 004's linear betas and the cosine ones of the same length. */
export function schedulesOf(chain: ChainConfig, cosine: CosineConfig): {
  name: "linear" | "cosine";
  schedule: DiscreteSchedule;
}[] {
  return [
    { name: "linear", schedule: chainSchedule(chain) },
    { name: "cosine", schedule: cosineBetaSchedule(chain.T, cosine.offset, cosine.maxBeta) },
  ];
}

/** What {@link studyChain} measures of one chain, with a network and with the exact eps. */
export interface ChainStudy {
  ancestral: Float32Array;
  ddim: { steps: number; learned: Float32Array; exact: Float32Array }[];
  elbo: ChainElbo;
  elboExact: ChainElbo;
}

/**
 * `n` samples of DDIM (eta = 0) on the chain's time subsequence of `steps` indices, from the
 * per-sample noise of the purpose `ddim` (the same start for every step count and model).
 */
export function ddimOnChain(
  env: RunEnv,
  eps: EpsModel,
  schedule: DiscreteSchedule,
  steps: number,
  c: AncestralConfig,
): Float32Array {
  const tau = timeSubsequence(schedule.T, steps);
  const alphaBars = tau.map((t) => schedule.alphaBar[t]);
  return sampleInBatches(
    env.streams,
    "ddim",
    c.samples,
    c.sampleBatch,
    (noise) => ddimSample((x, k) => eps(x, tau[k]), alphaBars, noise, { dim: 2, eta: 0 }),
  ).x;
}

/**
 * Study a trained chain: ancestral samples, DDIM at each step count (network and exact eps), and
 * the ELBO of `test` with both (the same per-point noise, purpose `elbo`).
 */
export async function studyChain(
  env: RunEnv,
  model: EpsNet,
  dataset: Dataset,
  test: Float32Array,
  c: { sample: AncestralConfig } & StudyConfig,
): Promise<ChainStudy> {
  const schedule = model.schedule;
  const oracle = new MixtureOracle(dataset.mixture!);
  const exact = epsFromMixture(oracle, schedule);
  const ancestral = (await sampleAncestral(env, model, c.sample)).x;
  const phase = env.progress.phase("ddim, elbo", c.ddim.steps.length + 1);
  const w = model.net.params.fused();
  try {
    const learned = epsFromNetwork(model.net, w, schedule.T);
    const ddim = [];
    for (const steps of c.ddim.steps) {
      ddim.push({
        steps,
        learned: ddimOnChain(env, learned, schedule, steps, c.sample),
        exact: ddimOnChain(env, exact, schedule, steps, c.sample),
      });
      await phase.tick();
    }
    // The same per-point noise for both models: their bounds differ by their models only.
    const bound = (eps: EpsModel) =>
      chainElbo(
        eps,
        schedule,
        test,
        2,
        env.streams.perSample("elbo", 0, test.length / 2),
        c.sample.variance,
      );
    const elbo = bound(learned), elboExact = bound(exact);
    await phase.tick();
    return { ancestral, ddim, elbo, elboExact };
  } finally {
    tf.dispose(w);
    oracle.dispose();
    phase.done();
  }
}

/** MMD² of every sample set of a study, named `<what>_<schedule>[_K<steps>]`. */
export function studyMetrics(
  name: string,
  s: ChainStudy,
  judge: QualityJudge,
  closedForm: number,
): Record<string, number> {
  const mmd = (x: Float32Array) => judge.figures(x).quality.mmd2;
  const out: Record<string, number> = { [`mmd2Ancestral_${name}`]: mmd(s.ancestral) };
  for (const d of s.ddim) {
    out[`mmd2Ddim_${name}_K${d.steps}`] = mmd(d.learned);
    out[`mmd2DdimExact_${name}_K${d.steps}`] = mmd(d.exact);
  }
  out[`elbo_${name}`] = mean(s.elbo.perPoint);
  out[`elboExact_${name}`] = mean(s.elboExact.perPoint);
  out[`elboGap_${name}`] = out[`elbo_${name}`] - closedForm;
  out[`elboGapExact_${name}`] = out[`elboExact_${name}`] - closedForm;
  out[`elboPrior_${name}`] = s.elboExact.prior;
  return out;
}
