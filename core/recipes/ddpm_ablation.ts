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
 * plan's longest unit, so the prefix is computed twice to keep units short.
 */
import { epochsAtSameSteps, type EpochsConfig, type Snapshot, stepsOf } from "./train.ts";
import type { ChainConfig, EpsNetConfig, EpsNetOptions, TrainingFacts } from "./ddpm.ts";
import type { DdpmVariance } from "../samplers/ddpm.ts";

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
export function trainingOf(v: VariantName): string {
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
