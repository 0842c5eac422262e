/**
 * An ablation of seed 004's DDPM recipe: the seed's recipe, each change alone, and all changes
 * together, planned as trainings and the variants read off them.
 *
 * Common random numbers: every training and every sampler of the ablation draws from the same
 * named streams, so a variant differs from the seed's by its change and not by its draws (each
 * variant's law is what it would be with streams of its own; only the dependence between variants
 * changes, and with it the noise in their differences). Variants whose training is the seed's (an
 * average of its weights, another reverse-step variance, more epochs at the seed's constant rate)
 * read one training of the seed's recipe: its weights or their average, after the seed's steps or
 * after all of them. A training runs in stretches of at most {@link MAX_SEGMENT_STEPS} steps, cut
 * at its reads' steps, each a part of the run that continues the previous one's state
 * (`TrainingSegment`: the bits of one whole training), so that no unit of work is long; each
 * stretch's reads (sampling and judging its variants) are a part of their own after it
 * (`readsPart`), fed the kept weights (`KeptTraining`).
 */
import {
  epochsAtSameSteps,
  type EpochsConfig,
  type Snapshot,
  stepsOf,
  type TrainingState,
} from "./train.ts";
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

/**
 * The most steps one part trains: a step of the seed's network at batch 256 takes ~0.55-0.7 ms on
 * the 2-vCPU machines measured (NOTES.md), so a stretch is ~33-42 s, under a minute with room for
 * a slower host.
 */
export const MAX_SEGMENT_STEPS = 60_000;

/** A stretch of a training, one part of the run, and the variants read at its last step. */
export interface AblationSegment {
  /** The part's name: the training's, or `<training> to <until>` when it has several stretches. */
  part: string;
  /** The part of the stretch before it, whose state it continues (absent for the first). */
  after?: string;
  /** The step it ends after. */
  until: number;
  /** The reads at step `until`. */
  reads: VariantRead[];
}

/** One training of the ablation, its stretches (parts of the run) and the variants read off it. */
export interface AblationTraining {
  /** The training's name: `seed` for the seed's recipe, else the variant's. */
  part: string;
  /** Training points (`data.trainSize`, or the larger set of the `data` change). */
  trainSize: number;
  chain: ChainConfig;
  model: EpsNetConfig;
  train: EpochsConfig;
  /** Options of `trainEpsNet`, with a snapshot after each read's step. */
  options: EpsNetOptions;
  reads: VariantRead[];
  /** Its stretches in order, the last ending after its last step. */
  segments: AblationSegment[];
}

/** Variants read off the training of the seed's recipe. */
const SEED_READS: readonly VariantName[] = ["seed", "ema", "posterior", "longer"];

/** The part whose training a variant reads. */
function trainingOf(v: VariantName): string {
  return SEED_READS.includes(v) ? "seed" : v;
}

/** The changes a variant makes. */
function changesOf(v: VariantName): readonly Change[] {
  return v === "seed" ? [] : v === "improved" ? CHANGES : [v];
}

/**
 * The ends of the stretches of a training cut after each of `cuts` (ascending; the last is its
 * last step) and into stretches of at most about `max` steps, each end at a whole epoch of
 * `perEpoch` steps past the cut before it.
 */
export function segmentEnds(cuts: number[], max: number, perEpoch: number): number[] {
  const ends: number[] = [];
  let from = 0;
  for (const cut of cuts) {
    const pieces = Math.ceil((cut - from) / max);
    for (let k = 1; k < pieces; k++) {
      const end = from + perEpoch * Math.round(((cut - from) / perEpoch) * k / pieces);
      if (end > (ends[ends.length - 1] ?? 0) && end < cut) ends.push(end);
    }
    ends.push(cut);
    from = cut;
  }
  return ends;
}

/**
 * The trainings of `c.ablation.variants`, in the order their parts first appear, each in stretches
 * of at most about `maxSteps` steps.
 */
export function ablationTrainings(
  c: AblationConfig,
  maxSteps = MAX_SEGMENT_STEPS,
): AblationTraining[] {
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
    // as long as its reads (the seed's training: the seed's epochs, or longer's)
    const train = { ...c.train, epochs: Math.max(...variantReads.map((r) => r.epochs)) };
    const steps = [...new Set(variantReads.map((r) => r.step))].sort((a, b) => a - b);
    const perEpoch = stepsOf({ kind: "epochs", ...train, epochs: 1 }, trainSize);
    const ends = segmentEnds(steps, maxSteps, perEpoch);
    const name = (until: number) => ends.length === 1 ? part : `${part} to ${until}`;
    const segments = ends.map((until, k): AblationSegment => ({
      part: name(until),
      ...(k > 0 ? { after: name(ends[k - 1]) } : {}),
      until,
      reads: variantReads.filter((r) => r.step === until),
    }));
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
        snapshotSteps: steps,
      },
      reads: variantReads,
      segments,
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

/** The part that samples the reads of the stretch `segment` (after it, on any worker). */
export function readsPart(segment: string): string {
  return `${segment} reads`;
}

/** The parts of `trainings`: each stretch in order, then its reads part when it has reads. */
export function ablationParts(trainings: AblationTraining[]): string[] {
  return trainings.flatMap((t) =>
    t.segments.flatMap((s) => s.reads.length ? [s.part, readsPart(s.part)] : [s.part])
  );
}

/** What each part of `trainings` needs: a stretch the one before it, a reads part its stretch. */
export function ablationNeeds(trainings: AblationTraining[]): Record<string, string[]> {
  const needs: Record<string, string[]> = {};
  for (const s of trainings.flatMap((t) => t.segments)) {
    if (s.after) needs[s.part] = [s.after];
    if (s.reads.length) needs[readsPart(s.part)] = [s.part];
  }
  return needs;
}

/** The stretch `part` trains or reads (`reads`), and its training; undefined for other parts. */
export function segmentOf(
  trainings: AblationTraining[],
  part: string,
): { t: AblationTraining; s: AblationSegment; reads: boolean } | undefined {
  for (const t of trainings) {
    for (const s of t.segments) {
      if (s.part === part) return { t, s, reads: false };
      if (s.reads.length && readsPart(s.part) === part) return { t, s, reads: true };
    }
  }
  return undefined;
}

/** What a stretch of a training keeps for its reads and the next stretch: plain data. */
export interface KeptTraining {
  snapshots: Snapshot[];
  lossByEpoch: number[];
  facts: TrainingFacts;
  /** The whole state after the stretch, when another stretch continues it. */
  state?: TrainingState;
}

/**
 * Train the stretch `s` of `t` on `x` (the part `s.part`), continuing `before` (the previous
 * stretch's part output), and keep what its reads and the next stretch need.
 */
export async function trainForReads(
  env: RunEnv,
  x: Float32Array,
  t: AblationTraining,
  s: AblationSegment,
  before?: KeptTraining,
): Promise<KeptTraining> {
  if ((s.after === undefined) !== (before === undefined)) {
    throw new Error(
      `ablation: ${s.part} continues ${s.after ?? "nothing"}; given ${before ? "a state" : "none"}`,
    );
  }
  const last = s === t.segments[t.segments.length - 1];
  const segment = t.segments.length > 1 ? { from: before?.state, until: s.until } : undefined;
  const model = await trainEpsNet(env, x, t, t.options, segment);
  try {
    return {
      snapshots: model.snapshots,
      lossByEpoch: model.lossByEpoch,
      facts: model.facts,
      ...(last ? {} : { state: model.state }),
    };
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
 * The samples of each of `reads` of `t` (the part `readsPart` of their stretch): `sample.samples`
 * ancestral samples of the kept weights the read names, with its variance. Sampling draws
 * per-sample streams, so a read's samples are the same bytes in this part as in the training's.
 */
export async function sampleReads(
  env: RunEnv,
  t: AblationTraining,
  reads: VariantRead[],
  kept: KeptTraining,
  sample: { samples: number; sampleBatch: number },
): Promise<ReadSamples[]> {
  if (!reads.length) return [];
  const model = loadEpsNet(t, t.options, weightsOf(reads[0], kept.snapshots));
  try {
    const out: ReadSamples[] = [];
    for (const read of reads) {
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
