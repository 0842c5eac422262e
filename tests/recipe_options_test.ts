/**
 * A recipe's options reach its training: read off what the training did (`TrainingFacts`, the EMA
 * check), not off the options asked for. An option lost on its way (the improved recipe's EMA or
 * cosine decay, the score SDE's EMA) moves quick samples by less than their seed spread, so the
 * golden gate cannot see it; these tests do.
 */
import assert from "node:assert/strict";
import { ddpmRing8Improved } from "../experiments/ddpm_ring8_improved.ts";
import { scoreFields } from "../experiments/score_fields.ts";
import { scoreMatchingObjectives } from "../experiments/score_matching_objectives.ts";
import { ncsnThreeClustersImproved } from "../experiments/ncsn_three_clusters_improved.ts";
import type { VariantPart } from "../experiments/ddpm_ring8_improved.page.ts";
import type { Experiment, PartOutput } from "../core/harness/experiment.ts";
import {
  ablationTrainings,
  CHANGES,
  factsOf,
  type KeptTraining,
  sampleReads,
  segmentEnds,
  trainForReads,
  weightsOf,
} from "../core/recipes/ddpm_ablation.ts";
import { sampleAncestral, trainEpsNet } from "../core/recipes/ddpm.ts";
import { validateConfig } from "../core/spec/rules.ts";
import { derive, type Patch } from "../core/spec/section.ts";
import { createProgress } from "../core/harness/progress.ts";
import { NO_CHECKPOINTS } from "../core/runtime/checkpoints.ts";
import { Streams } from "../core/runtime/random.ts";
import { trainSdeNet } from "../core/recipes/sde.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { backend } from "./helpers.ts";

const env = (seed: number) => ({
  streams: new Streams(seed),
  progress: createProgress("test", "silent"),
  checkpoints: NO_CHECKPOINTS,
});

/** Part `part` of `e`'s quick profile patched by `patch` (validated as a user's config), seed 0. */
async function quickPart<C>(e: Experiment<C>, patch: Patch<C>, part: string): Promise<PartOutput> {
  const config = derive(e.profiles.quick, patch);
  validateConfig(e.name, e.schema, e.checks ?? [], config);
  return await e.runPart!({ ...env(0), config, profile: "quick", seed: 0, parts: {} }, part);
}

Deno.test("ddpm-ring8-improved: each variant's changes reach its training, and no other change does", async () => {
  await backend();
  const e = ddpmRing8Improved;
  const config = derive(e.profiles.quick, {
    data: { trainSize: 512 },
    train: { epochs: 2 },
    improved: { epochs: 4, trainSize: 2048 },
    sample: { samples: 16, sampleBatch: 16 },
  });
  validateConfig(e.name, e.schema, e.checks ?? [], config);
  const facts = new Map<string, NonNullable<VariantPart["facts"]>>();
  const all = {
    ...config,
    ablation: { variants: ["seed" as const, ...CHANGES, "improved" as const] },
  };
  // the parts in their listed order, which puts a training before its reads
  const parts: Record<string, PartOutput> = {};
  for (const part of e.parts!(all).filter((p) => p !== "oracle")) {
    const run = { ...env(0), config: all, profile: "quick" as const, seed: 0, parts };
    const out = parts[part] = await e.runPart!(run, part);
    if ("trained" in out) continue;
    for (const [variant, v] of Object.entries(out as Record<string, VariantPart>)) {
      facts.set(variant, v.facts!);
    }
  }
  assert.equal(facts.size, 2 + CHANGES.length, "every variant is read off a training");
  const seedSteps = facts.get("seed")!.steps;
  for (const [variant, f] of facts) {
    const has = (c: string) => variant === "improved" || variant === c;
    const what = `${variant}: ${JSON.stringify(f)}`;
    assert.equal(f.ema, has("ema"), `${what}: EMA`);
    assert.ok(has("cosine") ? f.lrLastRatio < 0.5 : f.lrLastRatio === 1, `${what}: cosine decay`);
    assert.equal(f.timeFeature, has("sinusoidal") ? "sinusoidal" : "embedding", `${what}: time`);
    assert.equal(f.rows, has("data") ? 2048 : 512, `${what}: training rows`);
    if (has("longer")) assert.ok(f.steps > seedSteps, `${what}: longer`);
    else if (has("data")) assert.ok(f.steps >= seedSteps, `${what}: the same steps (whole epochs)`);
    else assert.equal(f.steps, seedSteps, `${what}: the seed's steps`);
  }
});

Deno.test("ddpm-ring8-improved: trained in stretches of a few steps, each read is the bytes of the whole training sampled in place", async () => {
  await backend();
  const e = ddpmRing8Improved;
  const config = derive(e.profiles.quick, {
    data: { trainSize: 512 },
    train: { epochs: 3 },
    improved: { epochs: 5, trainSize: 1024 },
    ablation: { variants: ["seed", "ema", "posterior", "longer", "improved"] },
    sample: { samples: 40, sampleBatch: 16 },
  });
  validateConfig(e.name, e.schema, e.checks ?? [], config);
  const x = DATASETS.ring8.sample(1024, new Streams(3).get("data")).x;
  // at most 4 steps a stretch: the seed's training (reads after 6 and 10 steps) in three
  // stretches, the improved one (12 steps of 4 per epoch) in three
  const trainings = ablationTrainings(config, 4);
  const ends = trainings.map((t) => t.segments.map((s) => s.until));
  assert.deepEqual(ends, [[4, 6, 10], [4, 8, 12]]);
  for (const t of trainings) {
    const rows = x.subarray(0, 2 * t.trainSize);
    const whole = await trainEpsNet(env(5), rows, t, t.options);
    let before: KeptTraining | undefined;
    try {
      for (const s of t.segments) {
        const kept: KeptTraining = await trainForReads(env(5), rows, t, s, before);
        before = kept;
        const apart = await sampleReads(env(5), t, s.reads, kept, config.sample);
        assert.equal(apart.length, s.reads.length);
        for (const [i, read] of s.reads.entries()) {
          whole.net.params.write(weightsOf(read, whole.snapshots));
          const inPlace = await sampleAncestral(env(5), whole, {
            ...config.sample,
            variance: read.variance,
          });
          const what = `${s.part}: ${read.variant}`;
          assert.equal(apart[i].variant, read.variant);
          assert.deepEqual(
            new Uint8Array(apart[i].x.buffer),
            new Uint8Array(inPlace.x.buffer),
            what,
          );
          assert.deepEqual(apart[i].lossByEpoch, whole.lossByEpoch.slice(0, read.epochs), what);
          assert.deepEqual(apart[i].facts, factsOf(read, whole.facts), what);
        }
      }
    } finally {
      whole.dispose();
    }
  }
});

Deno.test("a training's stretches end at its reads and at whole epochs, none much longer than the bound", () => {
  // the full profile's seed training: the seed's reads after 19,000 steps, longer's after 114,000
  assert.deepEqual(segmentEnds([19_000, 114_000], 60_000, 19), [19_000, 66_500, 114_000]);
  assert.deepEqual(segmentEnds([114_075], 60_000, 195), [57_135, 114_075]);
  assert.deepEqual(segmentEnds([10], 60_000, 2), [10]);
  const cases: [number[], number, number][] = [[[7, 100], 9, 3], [[5, 6, 50], 10, 1], [
    [99],
    13,
    9,
  ]];
  for (const [cuts, max, perEpoch] of cases) {
    const ends = segmentEnds(cuts, max, perEpoch);
    for (const c of cuts) assert.ok(ends.includes(c), `${ends} ends at the cut ${c}`);
    ends.forEach((end, k) => {
      const from = k ? ends[k - 1] : 0;
      const cut = [0, ...cuts].filter((c) => c <= from).pop()!;
      assert.ok(end > from && end - from <= max + perEpoch, `${ends}: stretch ${k}`);
      assert.ok(cuts.includes(end) || (end - cut) % perEpoch === 0, `${ends}: ${end} at an epoch`);
    });
  }
});

Deno.test("the score SDE's train.ema reaches its training: the first update is averaged right, and none runs at ema 0", async () => {
  await backend();
  const x = DATASETS.ring8.sample(512, new Streams(1).get("data")).x;
  const c = {
    sde: { betaMin: 0.1, betaMax: 20 },
    model: { hidden: [16, 16], frequencies: 4, maxFrequency: 200 },
    train: { batchSize: 256, epochs: 2, lr: 1e-3, tMin: 1e-5, ema: 0.999 },
  };
  const averaged = await trainSdeNet(env(2), x, c);
  const plain = await trainSdeNet(env(2), x, { ...c, train: { ...c.train, ema: 0 } });
  try {
    assert.equal(averaged.emaFirstUpdateOff, 0);
    assert.ok(Number.isNaN(plain.emaFirstUpdateOff), "no average at ema 0");
    // the same streams give the same last iterate: the network sampled must hold the average
    assert.notDeepEqual(averaged.net.params.read(), plain.net.params.read(), "the average is held");
  } finally {
    averaged.dispose();
    plain.dispose();
  }
});

Deno.test("score-fields: train.weightDecay reaches its optimizer (AdamW's decoupled decay moves the learned field; none at 0)", async () => {
  await backend();
  const field = async (weightDecay: number) => {
    const out = await quickPart(scoreFields, {
      data: { trainSize: 512 },
      sigmas: [0.5],
      train: { epochs: 2, fisherEvery: 2, weightDecay, lr: 0.01 },
      measure: { fisherPoints: 64, grid: 4 },
    }, "0.5");
    return (out as { learned: Float32Array }).learned;
  };
  const [none, again, decayed] = [await field(0), await field(0), await field(0.5)];
  assert.deepEqual(again, none, "the same config, the same field");
  assert.notDeepEqual(decayed, none, "a decay of 0.5 moves the field");
});

Deno.test("ncsn-three-clusters-improved: train.ema reaches the sampled network (its saved weights are the average, not the last iterate that ema 0 saves)", async () => {
  await backend();
  const saved = async (ema: number) => {
    const patch = { train: { steps: 20, batchSize: 64, ema } };
    const out = await quickPart(ncsnThreeClustersImproved, patch, "train");
    return (out as { weights: Float32Array }).weights;
  };
  const [last, again, averaged] = [await saved(0), await saved(0), await saved(0.9)];
  assert.deepEqual(again, last, "the same config, the same weights");
  assert.notDeepEqual(averaged, last, "an average of the weights is not the last iterate");
});

Deno.test("a DDPM noise predictor trained with an EMA holds the average, not its last iterate (the guidance nets sample it)", async () => {
  await backend();
  const x = DATASETS.ring8.sample(512, new Streams(1).get("data")).x;
  const c = {
    chain: { T: 20, betaStart: 1e-4, betaEnd: 0.02 },
    model: { timeEmbedDim: 4, hidden: [16, 16] },
    train: { batchSize: 128, epochs: 2, lr: 1e-3 },
  };
  const model = await trainEpsNet(env(4), x, c, { ema: 0.9, snapshotSteps: [8] });
  try {
    const [last] = model.snapshots;
    assert.deepEqual(model.net.params.read(), last.ema, "the network holds the average");
    assert.notDeepEqual(model.net.params.read(), last.params, "not the last iterate");
  } finally {
    model.dispose();
  }
});

Deno.test("score-matching-objectives: objectives.projection reaches sliced score matching (Rademacher and Gaussian projections train different fields)", async () => {
  await backend();
  const field = async (projection: "rademacher" | "gaussian") => {
    const out = await quickPart(scoreMatchingObjectives, {
      data: { datasets: ["ring8"], trainSize: 512 },
      objectives: { names: ["sliced"], projection },
      train: { epochs: 1, fisherEvery: 1 },
      measure: { fisherPoints: 64, grid: 4 },
    }, "ring8/sliced");
    return (out as { field: Float32Array }).field;
  };
  const [rademacher, again, gaussian] = [
    await field("rademacher"),
    await field("rademacher"),
    await field("gaussian"),
  ];
  assert.deepEqual(again, rademacher, "the same config, the same field");
  assert.notDeepEqual(gaussian, rademacher, "another projection law, another field");
});
