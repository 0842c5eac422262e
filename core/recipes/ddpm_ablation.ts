/**
 * An ablation of seed 004's DDPM recipe: the seed's recipe, each change alone, and all changes
 * together, planned as trainings and the variants read off them.
 *
 * Common random numbers: every training and every sampler of the ablation draws from the same
 * named streams, so a variant differs from the seed's by its change and not by its draws (each
 * variant's law is what it would be with streams of its own; only the dependence between variants
 * changes, and with it the noise in their differences). Variants whose training is the seed's (an
 * average of its weights, another reverse-step variance) read one training of the seed's recipe:
 * its weights or their average. `longer` trains on its own although its first steps are the
 * seed's (the rate is constant): read off the seed's training it would make that training the
 * plan's longest unit, so the prefix is computed twice to keep units short. For the same reason
 * each training's reads (sampling and judging its variants) are a part of their own after it
 * (`readsPart`), fed the kept weights (`KeptTraining`).
 */
import { epochsAtSameSteps, type EpochsConfig, type Snapshot, stepsOf } from "./train.ts";
import {
  type ChainConfig,
  type EpsNetConfig,
  type EpsNetOptions,
  loadEpsNet,
  sampleAncestral,
  trainEpsNet,
  type TrainingFacts,
} from "./ddpm.ts";
import type { DdpmVariance } from "../samplers/ddpm.ts";
import type { RunEnv } from "../runtime/env.ts";

/** The changes to the seed's recipe, in the ablation's order (each one field of {@link ImprovedRecipe}). */
export const CHANGES = ["ema", "cosine", "longer", "posterior", "sinusoidal", "data"] as const;

/** One change. */
export type Change = (typeof CHANGES)[number];

/** A variant: the seed's recipe, one change alone, or every change (`improved`). */
export type VariantName = "seed" | Change | "improved";

/** The recipe's changes to the seed's, each one field. */
export interface ImprovedRecipe {
  /** Epochs (the seed: 1000). */
  epochs: number;
  /** EMA rate of the weights, sampled with the average (0: none, the seed). */
  ema: number;
  /** Cosine decay of the learning rate to 0 (the seed: constant). */
  cosineDecay: boolean;
  /** Reverse-step variance (the seed: beta_t). */
  variance: DdpmVariance;
  /** The time feature (the seed: a learned embedding). */
  timeEmbedding: "learned" | "sinusoidal";
  /** Training points drawn from the law (the seed: `data.trainSize`), at the same step count. */
  trainSize: number;
}

/** What an ablation is planned from: the seed's sections, the changes, the variants run. */
export interface AblationConfig {
  data: { trainSize: number };
  chain: ChainConfig;
  model: EpsNetConfig;
  train: EpochsConfig;
  improved: ImprovedRecipe;
  ablation: { variants: VariantName[] };
}

/** One variant read off a training: after which step, which weights, which sampler variance. */
export interface VariantRead {
  variant: VariantName;
  /** Optimizer steps the variant's network has taken (a snapshot of the training). */
  step: number;
  /** Epochs of the training's loss that are the variant's. */
  epochs: number;
  /** Sample with the average of the weights (the training keeps one). */
  average: boolean;
  variance: DdpmVariance;
}

/** One training of the ablation (a part of the run) and the variants read off it. */
export interface AblationTraining {
  /** The part's name: `seed` for the seed's recipe, else the variant's. */
  part: string;
  /** Training points (`data.trainSize`, or the larger set of the `data` change). */
  trainSize: number;
  chain: ChainConfig;
  model: EpsNetConfig;
  train: EpochsConfig;
  /** Options of `trainEpsNet`, with a snapshot after each read's step. */
  options: EpsNetOptions;
  reads: VariantRead[];
}

/** Variants read off the training of the seed's recipe. */
const SEED_READS: readonly VariantName[] = ["seed", "ema", "posterior"];

/** The part whose training a variant reads. */
function trainingOf(v: VariantName): string {
  return SEED_READS.includes(v) ? "seed" : v;
}

/** The changes a variant makes. */
function changesOf(v: VariantName): readonly Change[] {
  return v === "seed" ? [] : v === "improved" ? CHANGES : [v];
}

/** The trainings of `c.ablation.variants`, in the order their parts first appear. */
export function ablationTrainings(c: AblationConfig): AblationTraining[] {
  const i = c.improved;
  const parts = [...new Set(c.ablation.variants.map(trainingOf))];
  return parts.map((part) => {
    const reads = c.ablation.variants.filter((v) => trainingOf(v) === part);
    // the seed's training averages its weights when a read samples the average
    const changes: readonly Change[] = part === "seed"
      ? (reads.includes("ema") ? ["ema"] : [])
      : changesOf(part as VariantName);
    const has = (k: Change) => changes.includes(k);
    const trainSize = has("data") ? i.trainSize : c.data.trainSize;
    const variantReads = reads.map((v): VariantRead => {
      const own = changesOf(v);
      const e = own.includes("longer") ? i.epochs : c.train.epochs;
      const epochs = epochsAtSameSteps({ ...c.train, epochs: e }, c.data.trainSize, trainSize);
      return {
        variant: v,
        step: stepsOf({ kind: "epochs", ...c.train, epochs }, trainSize),
        epochs,
        average: own.includes("ema") && i.ema > 0,
        variance: own.includes("posterior") ? i.variance : "beta",
      };
    });
    // as long as its reads (the seed's training: all three after the seed's epochs)
    const train = { ...c.train, epochs: Math.max(...variantReads.map((r) => r.epochs)) };
    return {
      part,
      trainSize,
      chain: c.chain,
      model: c.model,
      train,
      options: {
        ema: has("ema") && i.ema > 0 ? i.ema : undefined,
        cosineDecay: has("cosine") && i.cosineDecay,
        timeEmbedding: has("sinusoidal") ? i.timeEmbedding : "learned",
        snapshotSteps: [...new Set(variantReads.map((r) => r.step))],
      },
      reads: variantReads,
    };
  });
}

/** The weights a read samples with: its snapshot's weights or their average. */
export function weightsOf(read: VariantRead, snapshots: Snapshot[]): Float32Array {
  const s = snapshots.find((k) => k.step === read.step);
  if (!s) throw new Error(`ablation: no snapshot of the training at step ${read.step}`);
  if (read.average && !s.ema) {
    throw new Error(`ablation: ${read.variant} reads an average never kept`);
  }
  return read.average ? s.ema! : s.params;
}

/** What a read's network is, from its training's facts: its steps, and whether it is an average. */
export function factsOf(read: VariantRead, training: TrainingFacts): TrainingFacts {
  return { ...training, steps: read.step, ema: read.average && training.ema };
}

/** The part that samples the reads of the training part `training` (after it, on any worker). */
export function readsPart(training: string): string {
  return `${training} reads`;
}

/** What a training part keeps for its reads part: plain data, as parts' outputs are. */
export interface KeptTraining {
  snapshots: Snapshot[];
  lossByEpoch: number[];
  facts: TrainingFacts;
}

/** Train `t` on `x` and keep what its reads need (the part `t.part`). */
export async function trainForReads(
  env: RunEnv,
  x: Float32Array,
  t: AblationTraining,
): Promise<KeptTraining> {
  const model = await trainEpsNet(env, x, t, t.options);
  try {
    return { snapshots: model.snapshots, lossByEpoch: model.lossByEpoch, facts: model.facts };
  } finally {
    model.dispose();
  }
}

/** One variant's samples, its epochs' losses and what its training did. */
export interface ReadSamples {
  variant: VariantName;
  x: Float32Array;
  lossByEpoch: number[];
  facts: TrainingFacts;
}

/**
 * The samples of each read of `t` (the part `readsPart(t.part)`): `sample.samples` ancestral
 * samples of the kept weights the read names, with its variance. Sampling draws per-sample
 * streams, so a read's samples are the same bytes in this part as in the training's.
 */
export async function sampleReads(
  env: RunEnv,
  t: AblationTraining,
  kept: KeptTraining,
  sample: { samples: number; sampleBatch: number },
): Promise<ReadSamples[]> {
  const model = loadEpsNet(t, t.options, kept.snapshots[0].params);
  try {
    const out: ReadSamples[] = [];
    for (const read of t.reads) {
      model.net.params.write(weightsOf(read, kept.snapshots));
      const { x } = await sampleAncestral(env, model, { ...sample, variance: read.variance });
      out.push({
        variant: read.variant,
        x,
        lossByEpoch: kept.lossByEpoch.slice(0, read.epochs),
        facts: factsOf(read, kept.facts),
      });
    }
    return out;
  } finally {
    model.dispose();
  }
}
