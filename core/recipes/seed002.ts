/**
 * Seed 002's complete score-based pipeline as its code is written: ScoreNetwork (x and the raw
 * sigma into a 2 x 128 ReLU MLP), trained full-batch by DSM at one sigma per step drawn from
 * sigmas = logspace(-2, 1, 10), then annealed Langevin x + eps s + sqrt(2 eps) z with
 * eps = 0.1 (sigma / sigmas[-1])^2, 100 steps per level, from sigmas[0] N(0, I).
 *
 * As printed, the sampler walks the ascending list (from sigma = 0.01 up to 10, so it ends in the
 * widest noise) and its step rule divides by the last, largest sigma. Three samplers from the same
 * network and noise: the literal one; the list reversed with the same rule (eps = 0.1 (sigma /
 * 0.01)^2, up to 1e5: it diverges); and the corrected one, descending with Song & Ermon's
 * eps = delta sigma^2 / sigma_L^2 (delta = 2e-5). The corrected sampler needs a score that is
 * right at the large sigmas too, which the seed's unweighted loss (dominated by |z/sigma|^2 at
 * sigma = 0.01) does not learn: the corrected pipeline also weights the loss by sigma^2 and
 * divides the network's output by sigma (see {@link trainSeed002Net}).
 */
import * as tf from "@tensorflow/tfjs";
import { rawSigmaMlp } from "../nn/architectures.ts";
import { Network } from "../nn/network.ts";
import { dsmLoss } from "../objectives/dsm.ts";
import { rawSigmaScoreFromNetwork, type ScoreFn } from "../models.ts";
import type { SamplerResult } from "../samplers/result.ts";
import type { RunEnv } from "../runtime/env.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { sampleAnnealed } from "./ncsn.ts";
import { trainOnData } from "./train.ts";
import type { Quality, QualityJudge } from "../metrics/quality.ts";
import { countNonFinite, finiteRows } from "../metrics/points.ts";
import { radiusStats } from "../metrics/conditional.ts";
import { mean } from "../metrics/statistics.ts";

/** The pipeline's section: the seed's values are its defaults ({@link SEED_002}). */
export interface Seed002Config {
  /** sigmas = logspace(lo, hi, levels), ascending as the seed builds them. */
  sigmas: { lo: number; hi: number; levels: number };
  hidden: number[];
  /** Full-batch optimizer steps ("epochs" in the seed) and Adam's learning rate. */
  train: { steps: number; lr: number };
  /** Samples, steps per level, the seed's 0.1 and the corrected rule's delta. */
  sample: { samples: number; stepsPerLevel: number; seedRate: number; delta: number };
}

/** Seed 002's values (the corrected sampler's delta is Song & Ermon's 2e-5). */
export const SEED_002: Seed002Config = {
  sigmas: { lo: -2, hi: 1, levels: 10 },
  hidden: [128, 128],
  train: { steps: 1000, lr: 1e-3 },
  sample: { samples: 1000, stepsPerLevel: 100, seedRate: 0.1, delta: 2e-5 },
};

/** The rules of {@link Seed002Config}. */
export const SEED_002_SECTION: Section<Seed002Config> = {
  schema: {
    sigmas: rules.object({
      lo: rules.number(-4, 2),
      hi: rules.number(-4, 2),
      levels: rules.int(2, 100),
    }),
    hidden: rules.list(rules.int(1, 1024), 1, 6),
    train: rules.object({ steps: rules.int(1, 1_000_000), lr: rules.learningRate() }),
    sample: rules.object({
      samples: rules.int(2, 100_000),
      stepsPerLevel: rules.int(1, 10_000),
      seedRate: rules.positive(1),
      delta: rules.positive(1),
    }),
  },
};

/** torch.logspace(lo, hi, levels): 10^(lo + (hi - lo) i / (levels - 1)), ascending. */
export function logspace(c: Seed002Config["sigmas"]): Float64Array {
  return Float64Array.from(
    { length: c.levels },
    (_, i) => 10 ** (c.lo + ((c.hi - c.lo) * i) / (c.levels - 1)),
  );
}

/** The trained network, its losses, and whether its output is divided by sigma. */
export interface Seed002Net {
  net: Network;
  losses: Float32Array;
  scaled: boolean;
  dispose(): void;
}

/**
 * Train the seed's ScoreNetwork on all of `x` at every step, at one sigma per step (stream
 * `train`, as `sigmas[torch.randint(len(sigmas), (1,))]`), by DSM with weight 1 (the seed) or,
 * `corrected`, with weight sigma^2 and the score parameterised as s(x, sigma) = net(x, sigma) /
 * sigma (Song & Ermon 2020, technique 3): every level then contributes O(1) and the network's
 * output stays O(1) at every sigma.
 */
export async function trainSeed002Net(
  env: RunEnv,
  x: Float32Array,
  c: Seed002Config,
  corrected: boolean,
): Promise<Seed002Net> {
  const sigmas = logspace(c.sigmas);
  const n = x.length / 2;
  const net = new Network(rawSigmaMlp(c.hidden), env.streams.get("init"));
  const draws = env.streams.get("train");
  try {
    const trained = await trainOnData({
      net,
      x,
      dim: 2,
      batching: { kind: "epochs", batchSize: n, epochs: c.train.steps },
      optimizer: { lr: c.train.lr },
      ...env,
      loss: (w, x0) => {
        const sigma = sigmas[draws.int(sigmas.length)];
        const s = tf.tensor2d([[sigma]]);
        const z = tf.tensor2d(draws.normals(x0.shape[0] * 2), x0.shape);
        if (!corrected) return dsmLoss((y) => net.apply(w, y, { sigma: s }), x0, sigma, z);
        const scaled = (y: tf.Tensor2D) =>
          tf.div(net.apply(w, y, { sigma: s }), sigma) as tf.Tensor2D;
        return tf.tidy(() => tf.mul(dsmLoss(scaled, x0, sigma, z), sigma * sigma) as tf.Scalar);
      },
    });
    return { net, losses: trained.losses, scaled: corrected, dispose: () => net.dispose() };
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** The three samplers' results (same network, same noise). */
export interface Seed002Samples {
  literal: SamplerResult;
  reversed: SamplerResult;
  corrected: SamplerResult;
}

/** Run the literal, reversed and corrected samplers with `score` (see the module doc). */
export function sampleSeed002(
  env: RunEnv,
  score: ScoreFn,
  c: Seed002Config,
): Seed002Samples {
  const up = logspace(c.sigmas), down = up.slice().reverse();
  const o = { samples: c.sample.samples, dim: 2, stepsPerLevel: c.sample.stepsPerLevel };
  const run = (sigmas: Float64Array, alpha: number) =>
    sampleAnnealed(score, sigmas, env.streams, "sample", {
      ...o,
      rule: { kind: "ratio", alpha },
      form: "full",
    });
  return {
    literal: run(up, c.sample.seedRate),
    reversed: run(down, c.sample.seedRate),
    corrected: run(down, c.sample.delta),
  };
}

/** {@link sampleSeed002} with a trained network's score. */
export function sampleSeed002Net(env: RunEnv, model: Seed002Net, c: Seed002Config): Seed002Samples {
  const w = model.net.params.fused();
  try {
    const raw = rawSigmaScoreFromNetwork(model.net, w);
    const score: ScoreFn = model.scaled
      ? (x, sigma) => tf.tidy(() => tf.div(raw(x, sigma), sigma) as tf.Tensor2D)
      : raw;
    return sampleSeed002(env, score, c);
  } finally {
    tf.dispose(w);
  }
}

/**
 * The pipeline's figures: the corrected pipeline's quality (the run's main samples); the printed
 * pipeline's MMD² and mean radius; how many samples blew up with the list reversed, and with the
 * corrected sampler on the seed's network; both samplers with the exact score.
 */
export function seed002Figures(
  judge: QualityJudge,
  r: { seedNet: Seed002Samples; correctedNet: Seed002Samples; exact: Seed002Samples },
  losses: Float32Array,
): { quality: Quality; perMode?: number[]; figures: Record<string, number> } {
  const { quality, perMode } = judge.measure(r.correctedNet.corrected.x);
  const radius = (x: Float32Array) => radiusStats(finiteRows(x, 2)).mean;
  return {
    quality,
    perMode,
    figures: {
      finalLoss: mean(losses.subarray(-100)),
      mmd2_literal: judge.figures(r.seedNet.literal.x).quality.mmd2,
      radiusMean_literal: radius(r.seedNet.literal.x),
      radiusMean_corrected: radius(r.correctedNet.corrected.x),
      nonFinite_reversed: countNonFinite(r.seedNet.reversed.x, 2),
      nonFinite_seedNetCorrected: countNonFinite(r.seedNet.corrected.x, 2),
      mmd2_literalExact: judge.figures(r.exact.literal.x).quality.mmd2,
      mmd2_correctedExact: judge.figures(r.exact.corrected.x).quality.mmd2,
    },
  };
}
