/**
 * Data-parallel DDPM steps on two cores over shared memory: the minibatch is split into two
 * contiguous shards (as {@link ddpmDataParallelStep}); the calling thread computes shard 0 while
 * one resident worker computes shard 1, and they meet through a SharedArrayBuffer and `Atomics`
 * (a round trip costs ~5 us where posted messages cost ~0.4 ms; both sides spin up to 1 ms before
 * they sleep, since a sleeping thread wakes late on a VM). The worker keeps its
 * network between steps and reads the new weights from the shared buffer; the gradients are added
 * in shard order and the optimizer steps in the calling thread, so the bytes are those of
 * `ddpmDataParallelStep(null, 2, ...)` (the serial mode), step after step.
 *
 * The step blocks the calling thread (`Atomics.wait`): use it in a worker or a command-line run.
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "../nn/adam.ts";
import type { Network } from "../nn/network.ts";
import type { DdpmBatch } from "./data_parallel.ts";
import { splitRange } from "./pool.ts";
import { ddpmGradientOf } from "./tasks.ts";

/** Indices of the control words. */
export const CONTROL = { generation: 0, done: 1, failed: 2 } as const;

/** The shared buffer's views, in one layout for both sides. */
export interface SharedStepViews {
  control: Int32Array;
  /** [the worker shard's loss, its share of the batch] */
  scalars: Float64Array;
  /** [rows of the worker's shard] */
  rows: Int32Array;
  weights: Float32Array;
  grad: Float32Array;
  x0: Float32Array;
  t: Int32Array;
  eps: Float32Array;
}

/** Bytes of the shared buffer for `params` weights and shards of up to `rows` rows of `dim`. */
export function sharedStepBytes(params: number, rows: number, dim: number): number {
  return 64 + 8 * params + 4 * rows * (2 * dim + 1);
}

/** The views of a shared buffer laid out by {@link sharedStepBytes}. */
export function sharedStepViews(
  buffer: SharedArrayBuffer,
  params: number,
  rows: number,
  dim: number,
): SharedStepViews {
  let at = 64;
  const f32 = (n: number) => {
    const v = new Float32Array(buffer, at, n);
    at += 4 * n;
    return v;
  };
  const weights = f32(params), grad = f32(params), x0 = f32(rows * dim), eps = f32(rows * dim);
  return {
    control: new Int32Array(buffer, 0, 4),
    scalars: new Float64Array(buffer, 16, 2),
    rows: new Int32Array(buffer, 32, 1),
    weights,
    grad,
    x0,
    eps,
    t: new Int32Array(buffer, at, rows),
  };
}

/** What the worker needs once: the buffer, the network's spec, the schedule and the sizes. */
export interface SharedStepInit {
  buffer: SharedArrayBuffer;
  spec: Network["spec"];
  betas: Float64Array;
  params: number;
  rows: number;
  dim: number;
}

/** A resident worker and its shared buffer for one network's data-parallel steps. */
export class SharedDdpmStepper {
  #generation = 0;

  private constructor(
    readonly worker: Worker,
    readonly views: SharedStepViews,
    readonly net: Network,
    readonly betas: Float64Array,
    readonly dim: number,
  ) {}

  /** Start the worker for `net`, batches of up to `batch` rows of `dim`. */
  static async start(
    net: Network,
    betas: Float64Array,
    batch: number,
    dim: number,
  ): Promise<SharedDdpmStepper> {
    const params = net.params.size;
    const rows = Math.ceil(batch / 2);
    const buffer = new SharedArrayBuffer(sharedStepBytes(params, rows, dim));
    const worker = new Worker(new URL("./step_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ error?: string }>) =>
        e.data.error ? reject(new Error(`step worker: ${e.data.error}`)) : resolve();
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`step worker failed: ${e.message}`));
      };
    });
    const init: SharedStepInit = { buffer, spec: net.spec, betas, params, rows, dim };
    worker.postMessage(init);
    await ready;
    return new SharedDdpmStepper(
      worker,
      sharedStepViews(buffer, params, rows, dim),
      net,
      betas,
      dim,
    );
  }

  /** One optimizer step over batch `b` (at most the batch size given to `start`); its loss. */
  step(optimizer: Adam, b: DdpmBatch): number {
    const { control, scalars, rows, weights, grad, x0, t, eps } = this.views;
    const B = b.t.length, dim = this.dim;
    const [mine, theirs] = splitRange(B, 2);
    if (theirs.count > t.length || b.dim !== dim) {
      throw new RangeError(`batch of ${B} rows of ${b.dim}: the stepper holds ${2 * t.length}`);
    }
    weights.set(this.net.params.flat.dataSync() as Float32Array);
    x0.set(b.x0.subarray(theirs.start * dim, (theirs.start + theirs.count) * dim));
    eps.set(b.eps.subarray(theirs.start * dim, (theirs.start + theirs.count) * dim));
    t.set(b.t.subarray(theirs.start, theirs.start + theirs.count));
    rows[0] = theirs.count;
    scalars[1] = theirs.count / B;
    const generation = ++this.#generation;
    Atomics.store(control, CONTROL.generation, generation);
    Atomics.notify(control, CONTROL.generation);
    const own = ddpmGradientOf(this.net, {
      betas: this.betas,
      x0: b.x0.subarray(0, mine.count * dim),
      t: b.t.subarray(0, mine.count),
      eps: b.eps.subarray(0, mine.count * dim),
      dim,
      share: mine.count / B,
    });
    // spin up to 1 ms (the worker's shard ends about when this thread's does), then sleep
    const spinStart = performance.now();
    while (Atomics.load(control, CONTROL.done) !== generation && performance.now() - spinStart < 1);
    for (;;) {
      const done = Atomics.load(control, CONTROL.done);
      if (done === generation) break;
      Atomics.wait(control, CONTROL.done, done);
    }
    if (Atomics.load(control, CONTROL.failed)) throw new Error("step worker: its shard failed");
    // shard order, as ddpmDataParallelStep adds them
    const sum = new Float32Array(grad.length);
    let loss = 0;
    loss += own.loss;
    for (let i = 0; i < sum.length; i++) sum[i] += own.grad[i];
    loss += scalars[0];
    for (let i = 0; i < sum.length; i++) sum[i] += grad[i];
    tf.tidy(() => optimizer.update(tf.tensor1d(sum)));
    return loss;
  }

  /** Stop the worker. */
  close(): void {
    Atomics.store(this.views.control, CONTROL.generation, -1);
    Atomics.notify(this.views.control, CONTROL.generation);
    this.worker.terminate();
  }
}
