import assert from "node:assert/strict";
import {
  adamMomentsOff,
  EarlyEpochRows,
  emaFirstUpdateOff,
  loaderReplayOff,
} from "../core/metrics/training_checks.ts";
import { Adam } from "../core/nn/adam.ts";
import * as tf from "@tensorflow/tfjs";
import { Minibatches } from "../core/data/loader.ts";
import { Ema } from "../core/nn/ema.ts";
import { Params } from "../core/nn/params.ts";
import { Network } from "../core/nn/network.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { trainDdpm } from "../core/recipes/ddpm.ts";
import type { Trained, TrainingSegment, TrainingState } from "../core/recipes/train.ts";
import { createProgress } from "../core/harness/progress.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { Stream, Streams } from "../core/runtime/random.ts";
import type { Checkpoints } from "../core/runtime/checkpoints.ts";
import { backend } from "./helpers.ts";

const f32 = Math.fround;

/** Weights w0 and one step later w1 (steps of ~1e-3, some weights crossing zero, some not moving). */
function weights(n: number, seed: number): { w0: Float32Array; w1: Float32Array } {
  const s = new Streams(seed).get("w");
  const w0 = new Float32Array(n), w1 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    w0[i] = i % 7 === 0 ? 1e-3 * s.normal() : s.normal() * 0.3;
    w1[i] = i % 11 === 0 ? w0[i] : w0[i] + 1e-3 * s.normal();
  }
  return { w0, w1 };
}

Deno.test("emaFirstUpdateOff: 0 for the float32 average in any order of its operations, far from 0 for wrong rates or warm-up", () => {
  const n = 4099;
  for (const seed of [1, 2, 3]) {
    const { w0, w1 } = weights(n, seed);
    const m = f32(0.1), k = f32(1 - 0.1);
    const asTfjs = w0.map((a, i) => f32(f32(a * m) + f32(w1[i] * k)));
    const asLerp = w0.map((a, i) => f32(a + f32(k * f32(w1[i] - a))));
    const asOtherOrder = w0.map((a, i) => f32(f32(w1[i] * k) + f32(m * a)));
    for (const avg of [asTfjs, asLerp, asOtherOrder]) {
      assert.equal(emaFirstUpdateOff(w0, w1, avg, 0.999), 0, `seed ${seed}`);
    }
    const moved = w0.filter((a, i) => a !== w1[i]).length / n;
    const swapped = w0.map((a, i) => f32(f32(a * k) + f32(w1[i] * m)));
    const noWarmup = w0.map((a, i) => f32(f32(a * f32(0.999)) + f32(w1[i] * f32(0.001))));
    const noAverage = w1.slice();
    for (
      const [what, avg] of [["rates swapped", swapped], ["no warm-up", noWarmup], [
        "raw weights",
        noAverage,
      ]] as const
    ) {
      const off = emaFirstUpdateOff(w0, w1, avg, 0.999);
      assert.ok(off > 0.95 * moved, `${what}: ${off} of the weights off, ${moved} moved`);
    }
  }
  // a rate below the warm-up's first value is used as it is
  const { w0, w1 } = weights(64, 9);
  const avg = w0.map((a, i) => f32(f32(a * f32(0.05)) + f32(w1[i] * f32(0.95))));
  assert.equal(emaFirstUpdateOff(w0, w1, avg, 0.05), 0);
  assert.throws(() => emaFirstUpdateOff(w0, w1, avg.subarray(1), 0.05), /lengths/);
});

Deno.test("emaFirstUpdateOff: the real Ema's first update is on its closed form", async () => {
  await backend();
  const { w0, w1 } = weights(1027, 5);
  const p = new Params([{ name: "w", shape: [w0.length], init: { kind: "zeros" } }], w0.slice());
  const ema = new Ema(p, 0.999);
  p.write(w1);
  ema.update();
  assert.equal(emaFirstUpdateOff(w0, w1, ema.read(), ema.rate), 0);
  ema.dispose();
  p.dispose();
});

Deno.test("EarlyEpochRows: a real epoch is all distinct; repeats, draws with replacement and an unfinished epoch are not 1", () => {
  const s = new Streams(3).get("shuffle");
  const n = 1000, batch = 64;
  const loader = new Minibatches(n, batch, s);
  const rows = new EarlyEpochRows(loader.batchesPerEpoch, batch, 2);
  for (let step = 0; step < loader.batchesPerEpoch - 1; step++) rows.add(loader.at(step));
  assert.ok(Number.isNaN(rows.distinctFraction(n)), "NaN before the epoch ends");
  for (let step = rows.batches; step < 3 * loader.batchesPerEpoch; step++) {
    rows.add(loader.at(step));
  }
  assert.equal(
    rows.batches,
    2 * loader.batchesPerEpoch,
    "batches after the kept epochs are ignored",
  );
  assert.ok(rows.complete);
  assert.equal(rows.distinctFraction(n), 1);

  const repeated = new EarlyEpochRows(loader.batchesPerEpoch, batch, 1);
  for (let b = 0; b < loader.batchesPerEpoch; b++) repeated.add(loader.at(0));
  assert.ok(Math.abs(repeated.distinctFraction(n) - 1 / loader.batchesPerEpoch) < 1e-12);

  const draws = new EarlyEpochRows(loader.batchesPerEpoch, batch, 1);
  const d = new Streams(4).get("draws");
  for (let b = 0; b < loader.batchesPerEpoch; b++) {
    draws.add(Int32Array.from({ length: batch }, () => d.int(n)));
  }
  assert.ok(draws.distinctFraction(n) < 0.99, `with replacement: ${draws.distinctFraction(n)}`);
  const fresh = new EarlyEpochRows(loader.batchesPerEpoch, batch, 1);
  assert.throws(() => fresh.add(new Int32Array(batch - 1)), /a batch of 63 rows, 64 expected/);
});

Deno.test("loaderReplayOff: 0 for the real loader over one or two epochs (n a multiple of the batch or not); a reused permutation, the same rows dropped, shifted batches or another stream are off", () => {
  for (const [n, batch] of [[1000, 64], [1024, 64], [257, 16]]) {
    const key = `scorelab/5/shuffle-${n}`;
    const perEpoch = Math.floor(n / batch);
    const epochsOf = (at: (step: number) => ArrayLike<number>, epochs: number) => {
      const rows = new EarlyEpochRows(perEpoch, batch, epochs);
      for (let step = 0; !rows.complete; step++) rows.add(at(step));
      return rows.rows();
    };
    const off = (rows: Int32Array) => loaderReplayOff(rows, n, batch, new Stream(key));
    for (const epochs of [1, 2]) {
      const real = new Minibatches(n, batch, new Stream(key));
      assert.equal(off(epochsOf((k) => real.at(k), epochs)), 0, `n=${n}: ${epochs} epoch(s)`);
    }
    // one permutation for every epoch: the second epoch is off
    const first = new Minibatches(n, batch, new Stream(key));
    const reused = off(epochsOf((k) => first.at(k % perEpoch), 2));
    assert.ok(reused > 0.45, `n=${n}: reused permutation ${reused}`);
    // a permutation of the rows that fill whole batches only (the same rows dropped every epoch)
    if (n % batch !== 0) {
      const fewer = new Minibatches(perEpoch * batch, batch, new Stream(key));
      const dropped = off(epochsOf((k) => fewer.at(k), 1));
      assert.ok(dropped > 0.9, `n=${n}: same rows dropped ${dropped}`);
    }
    // batches cut one row later
    const perm = new Stream(key).permutation(n);
    const shifted = off(
      epochsOf(
        (k) => Int32Array.from({ length: batch }, (_, i) => perm[(k * batch + i + 1) % n]),
        1,
      ),
    );
    assert.ok(shifted > 0.9, `n=${n}: shifted batches ${shifted}`);
    // the right law on another stream
    const other = new Minibatches(n, batch, new Stream(`${key}/other`));
    assert.ok(off(epochsOf((k) => other.at(k), 2)) > 0.9, `n=${n}: another stream`);
  }
  assert.throws(
    () => loaderReplayOff(new Int32Array(10), 100, 16, new Stream("k")),
    /not whole epochs/,
  );
});

/** Checkpoints kept in memory, every `every` steps; only the first state saved is kept. */
function firstCheckpoint(every: number, saved: Map<string, Record<string, unknown>>): Checkpoints {
  return {
    slot: (label) => ({
      every,
      load: () => saved.get(label) ?? null,
      save: (state) => {
        if (!saved.has(label)) saved.set(label, structuredClone(state));
        return Promise.resolve();
      },
    }),
  };
}

/**
 * A small DDPM training on 640 ring8 points (T = 20, a 16-16 network, batch 64, lr 1e-3; streams of
 * `seed`): what it returned, its final weights and their average (the average disposed).
 */
async function trainSmall(
  seed: number,
  o: {
    epochs: number;
    ema?: number;
    snapshotSteps?: number[];
    checkpoints?: Checkpoints;
    segment?: TrainingSegment;
  },
): Promise<{ trained: Trained; weights: Float32Array; average?: Float32Array }> {
  const data = DATASETS.ring8.sample(640, new Streams(1).get("data"));
  const spec = ddpmNoisePredictor({ T: 20, timeEmbedDim: 4, hidden: [16, 16] });
  const streams = new Streams(seed);
  const net = new Network(spec, streams.get("init"));
  try {
    const trained = await trainDdpm({
      net,
      schedule: linearBetaSchedule(20),
      x: data.x,
      dim: 2,
      batchSize: 64,
      lr: 1e-3,
      streams,
      progress: createProgress("test", "silent"),
      ...o,
    });
    const average = trained.ema?.read();
    trained.ema?.dispose();
    return { trained, weights: net.params.read(), average };
  } finally {
    net.dispose();
  }
}

Deno.test("training checks: measured in the real training, and a run resumed inside or after the loader's kept epochs reports the same", async () => {
  await backend();
  const run = async (checkpoints?: Checkpoints): Promise<Trained> =>
    (await trainSmall(2, { epochs: 3, ema: 0.99, checkpoints })).trained;
  const whole = await run();
  assert.equal(whole.emaFirstUpdateOff, 0);
  assert.equal(whole.adamMomentsOff, 0);
  assert.equal(whole.firstEpochDistinct, 1);
  assert.equal(whole.loaderReplayOff, 0);
  assert.equal(whole.batchesPerEpoch, 10);
  // interrupted at step 4 (inside the first epoch of 10 batches), 14 (inside the second), 20 or 25
  // (after the two the replay keeps), then resumed
  for (const every of [4, 14, 20, 25]) {
    const saved = new Map<string, Record<string, unknown>>();
    await run(firstCheckpoint(every, saved));
    assert.equal((saved.get("train") as { step: number }).step, every);
    const resumed = await run(firstCheckpoint(1000, saved));
    assert.deepEqual(resumed.losses, whole.losses, `resumed at ${every}: the same losses`);
    assert.equal(resumed.emaFirstUpdateOff, 0, `resumed at ${every}`);
    assert.equal(resumed.adamMomentsOff, 0, `resumed at ${every}`);
    assert.equal(resumed.firstEpochDistinct, 1, `resumed at ${every}`);
    assert.equal(resumed.loaderReplayOff, 0, `resumed at ${every}`);
  }
});

Deno.test("adamMomentsOff: 0 for the real Adam's first update (default and set betas); wrong betas or moments are off on every weight with a gradient", async () => {
  await backend();
  const draws = new Streams(8).get("adam");
  const n = 1027;
  const g = Float32Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : draws.normal() * 1e-2));
  for (const betas of [{}, { beta1: 0.5, beta2: 0.9 }]) {
    const p = new Params([{ name: "w", shape: [n], init: { kind: "zeros" } }], new Float32Array(n));
    const adam = new Adam(p, { lr: 1e-3, ...betas });
    const gt = tf.tensor1d(g);
    adam.update(gt);
    gt.dispose();
    const { m, v } = adam.state();
    const b = betas as { beta1?: number; beta2?: number };
    assert.equal(adamMomentsOff(m, v, b.beta1, b.beta2), 0, JSON.stringify(betas));
    adam.dispose();
    p.dispose();
  }
  const withGradient = g.filter((x) => x !== 0).length / n;
  const m = g.map((x) => Math.fround(0.1 * x));
  const cases = {
    "beta2 0.99": g.map((x) => Math.fround(0.01 * Math.fround(x * x))),
    "beta1 0.8": g.map((x) => Math.fround(0.001 * Math.fround(x * x))).map((v) => v / 4),
    "|g| for g^2": g.map((x) => Math.fround(0.001 * Math.abs(x))),
  };
  for (const [what, v] of Object.entries(cases)) {
    const off = adamMomentsOff(m, v);
    assert.ok(off >= withGradient * 0.99, `${what}: ${off}`);
  }
  assert.equal(adamMomentsOff(m, g.map((x) => Math.fround(0.001 * Math.fround(x * x)))), 0);
});

Deno.test("snapshots: a longer run's weights and average after k steps are the k-step run's, bit for bit; a resumed run keeps them; a step outside the run is refused", async () => {
  await backend();
  const run = async (
    epochs: number,
    o: { ema?: number; snapshotSteps?: number[]; checkpoints?: Checkpoints },
  ) => {
    const { trained, weights, average } = await trainSmall(3, { epochs, ...o });
    return { weights, average, snapshots: trained.snapshots };
  };
  const short = await run(2, {}), shortAveraged = await run(2, { ema: 0.99 });
  assert.deepEqual(shortAveraged.weights, short.weights, "keeping an average moves no weight");
  const long = await run(5, { ema: 0.99, snapshotSteps: [20, 50] });
  assert.deepEqual(long.snapshots.map((k) => k.step), [20, 50]);
  assert.deepEqual(long.snapshots[0].params, short.weights, "the prefix's weights");
  assert.deepEqual(long.snapshots[0].ema, shortAveraged.average, "the prefix's average");
  assert.deepEqual(long.snapshots[1].params, long.weights, "the last step's weights");
  assert.deepEqual(long.snapshots[1].ema, long.average, "the last step's average");
  assert.notDeepEqual(long.snapshots[1].params, short.weights);
  for (const every of [10, 30]) {
    const saved = new Map<string, Record<string, unknown>>();
    await run(5, {
      ema: 0.99,
      snapshotSteps: [20, 50],
      checkpoints: firstCheckpoint(every, saved),
    });
    const resumed = await run(5, {
      ema: 0.99,
      snapshotSteps: [20, 50],
      checkpoints: firstCheckpoint(1000, saved),
    });
    assert.deepEqual(resumed.snapshots, long.snapshots, `resumed at step ${every}`);
  }
  for (const bad of [0, 51, 2.5]) {
    await assert.rejects(
      run(5, { snapshotSteps: [bad] }),
      /a snapshot at step .*; allowed: 1\.\.50/,
    );
  }
});

Deno.test("segments: a training in stretches, each continuing the last one's state (one interrupted and resumed from its own checkpoint), is the whole training bit for bit; a stretch past the end or not after its state is refused", async () => {
  await backend();
  const o = { epochs: 4, ema: 0.99, snapshotSteps: [7, 40] };
  const whole = await trainSmall(4, o);
  for (const ends of [[7, 23, 40], [1, 39, 40], [40]]) {
    let from: TrainingState | undefined;
    let last: Awaited<ReturnType<typeof trainSmall>> | undefined;
    for (const until of ends) {
      // the middle stretch is interrupted after its first checkpoint, then resumed from it
      const saved = new Map<string, Record<string, unknown>>();
      const interrupted = until === ends[1];
      if (interrupted) {
        await trainSmall(4, {
          ...o,
          segment: { from, until },
          checkpoints: firstCheckpoint(1, saved),
        });
      }
      last = await trainSmall(4, {
        ...o,
        segment: { from, until },
        ...(interrupted ? { checkpoints: firstCheckpoint(1000, saved) } : {}),
      });
      assert.equal(last.trained.losses.length, until, `${ends}: the losses so far`);
      assert.deepEqual(last.trained.losses, whole.trained.losses.subarray(0, until), `${ends}`);
      from = last.trained.state;
      assert.equal(from?.step, until);
    }
    const what = `stretches ending ${ends}`;
    assert.deepEqual(last!.weights, whole.weights, what);
    assert.deepEqual(last!.average, whole.average, what);
    assert.deepEqual(last!.trained.snapshots, whole.trained.snapshots, what);
    for (
      const check of [
        "firstStep",
        "adamMomentsOff",
        "emaFirstUpdateOff",
        "firstEpochDistinct",
        "loaderReplayOff",
      ] as const
    ) {
      assert.equal(last!.trained[check], whole.trained[check], `${what}: ${check}`);
    }
  }
  await assert.rejects(
    trainSmall(4, { ...o, segment: { until: 41 } }),
    /until step 41; allowed: 1\.\.40/,
  );
  const after23 = (await trainSmall(4, { ...o, segment: { until: 23 } })).trained.state!;
  await assert.rejects(
    trainSmall(4, { ...o, segment: { from: after23, until: 23 } }),
    /from step 23 until step 23; allowed: a state of an earlier step/,
  );
});
