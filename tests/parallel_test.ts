/**
 * Both cores, deterministically (issue 7): DDPM sampling split across two workers and
 * data-parallel training on two workers (posted messages, or shared memory) give the serial mode's
 * bytes, run after run.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Network } from "../core/nn/network.ts";
import { Adam } from "../core/nn/adam.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { drawTimesAndNoise } from "../core/objectives/ddpm.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { gatherRows, Minibatches } from "../core/data/loader.ts";
import { Streams } from "../core/runtime/random.ts";
import { splitRange, WorkerPool } from "../core/parallel/pool.ts";
import { ddpmSampleParallel } from "../core/parallel/sample.ts";
import { ddpmDataParallelStep } from "../core/parallel/data_parallel.ts";
import { SharedDdpmStepper } from "../core/parallel/shared_step.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { epsFromNetwork } from "../core/models.ts";
import { backend } from "./helpers.ts";

const T = 40, B = 64;
const betas = linearBetaSchedule(T).beta;
const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Train `steps` data-parallel steps over two shards: serially (null), on a pool's two workers, or
 * with this thread and a resident worker over shared memory ("shared"); the final weights.
 */
async function train(pool: WorkerPool | null | "shared", steps: number): Promise<Float32Array> {
  const streams = new Streams(3);
  const net = new Network(
    ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [32, 32] }),
    streams.get("init"),
  );
  const opt = new Adam(net.params, { lr: 1e-2 });
  const data = DATASETS.ring8.sample(500, streams.get("data"));
  const batches = new Minibatches(500, B, streams.get("shuffle"));
  const noise = streams.get("train");
  const stepper = pool === "shared" ? await SharedDdpmStepper.start(net, betas, B, 2) : null;
  const before = tf.memory().numTensors;
  for (let s = 0; s < steps; s++) {
    const { t, eps } = drawTimesAndNoise(B, 2, T, noise);
    const x0 = gatherRows(data.x, 2, batches.at(s));
    const batch = { x0, t, eps, dim: 2 };
    const loss = stepper
      ? stepper.step(opt, batch)
      : await ddpmDataParallelStep(pool as WorkerPool | null, 2, net, opt, betas, batch);
    assert.ok(Number.isFinite(loss));
  }
  assert.equal(tf.memory().numTensors, before, "no tensor left behind by the steps");
  stepper?.close();
  const w = net.params.flat.dataSync().slice() as Float32Array;
  opt.dispose();
  net.dispose();
  return w;
}

Deno.test("splitRange covers 0..n-1 once, in order, balanced", () => {
  for (const [n, k] of [[10, 3], [5000, 2], [1, 2], [7, 7]]) {
    const r = splitRange(n, k);
    assert.equal(r.length, k);
    let at = 0;
    for (const { start, count } of r) {
      assert.equal(start, at);
      at += count;
    }
    assert.equal(at, n);
    const counts = r.map((x) => x.count);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
  }
});

Deno.test("sampling on two workers gives the serial samples, byte for byte", async () => {
  await backend();
  await assert.rejects(() => WorkerPool.start(0), /workers must be a positive integer, got 0/);
  const net = new Network(
    ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [32, 32] }),
    new Streams(1).get("init"),
  );
  const o = { betas, seed: 11, name: "sample", n: 301, dim: 2 };
  const pool = await WorkerPool.start(2);
  try {
    const serial = await ddpmSampleParallel(null, net, o);
    const parallel = await ddpmSampleParallel(pool, net, o);
    assert.deepEqual(bytes(parallel), bytes(serial));
    // ... and both are the plain sampler's output on one batch of 301.
    const w = net.params.fused();
    const plain = ddpmSample(
      epsFromNetwork(net, w, T),
      linearBetaSchedule(T),
      new Streams(11).perSample("sample", 0, 301),
      { dim: 2 },
    ).x;
    tf.dispose(w);
    assert.deepEqual(bytes(plain), bytes(serial));
  } finally {
    pool.close();
    net.dispose();
  }
});

Deno.test("data-parallel training on two workers: serial bytes, run after run", async () => {
  await backend();
  const serial = await train(null, 12);
  const pool = await WorkerPool.start(2);
  try {
    const a = await train(pool, 12);
    const b = await train(pool, 12);
    assert.deepEqual(bytes(a), bytes(serial));
    assert.deepEqual(bytes(b), bytes(a));
  } finally {
    pool.close();
  }
  // The sharded gradient is the batch's gradient up to rounding: training still moves the weights.
  const init = new Network(
    ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [32, 32] }),
    new Streams(3).get("init"),
  );
  const w0 = init.params.flat.dataSync();
  init.dispose();
  assert.ok(serial.some((v, i) => v !== w0[i]));
});

Deno.test("data-parallel training over shared memory (this thread and a resident worker): serial bytes, run after run", async () => {
  await backend();
  const serial = await train(null, 12);
  const a = await train("shared", 12);
  const b = await train("shared", 12);
  assert.deepEqual(bytes(a), bytes(serial));
  assert.deepEqual(bytes(b), bytes(a));
});

Deno.test("a data-parallel step is the whole batch's step: shard gradients weighted by their share add up to it", async () => {
  await backend();
  const streams = new Streams(5);
  const spec = ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [32, 32] });
  const init = streams.get("init");
  const a = new Network(spec, init);
  const b = new Network(spec, a.params.read());
  const optA = new Adam(a.params, { lr: 1e-2 }), optB = new Adam(b.params, { lr: 1e-2 });
  const data = DATASETS.ring8.sample(500, streams.get("data"));
  const { t, eps } = drawTimesAndNoise(B, 2, T, streams.get("train"));
  const x0 = gatherRows(data.x, 2, Int32Array.from({ length: B }, (_, i) => i));
  // Sharded over 2 and over 3: both against one whole-batch step of the same loss.
  const lossSharded = await ddpmDataParallelStep(null, 3, a, optA, betas, { x0, t, eps, dim: 2 });
  const lossWhole = await ddpmDataParallelStep(null, 1, b, optB, betas, { x0, t, eps, dim: 2 });
  assert.ok(
    Math.abs(lossSharded - lossWhole) <= 1e-6 * Math.abs(lossWhole),
    `${lossSharded} vs ${lossWhole}`,
  );
  const wa = a.params.read(), wb = b.params.read();
  // One Adam step moves each weight by about lr; the same gradient up to rounding gives the same step.
  let worst = 0;
  wa.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - wb[i]))));
  assert.ok(worst < 1e-5, `weights after one sharded and one whole step differ by ${worst}`);
  for (const o of [optA, optB]) o.dispose();
  a.dispose();
  b.dispose();
});
