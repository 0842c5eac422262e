/**
 * The resident worker of {@link SharedDdpmStepper}: start tfjs on WASM-SIMD, build the network
 * once, then for each new generation in the shared buffer read the weights and its shard, write
 * the shard's weighted loss and gradient back, and mark the generation done. Generation -1 stops.
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { Network } from "../nn/network.ts";
import { CONTROL, type SharedStepInit, sharedStepViews } from "./shared_step.ts";
import { ddpmGradientOf } from "./tasks.ts";

self.onmessage = async (e: MessageEvent<SharedStepInit>) => {
  const { buffer, spec, betas, params, rows, dim } = e.data;
  let net: Network;
  const v = sharedStepViews(buffer, params, rows, dim);
  try {
    await initBackend();
    net = new Network(spec, v.weights.slice());
    self.postMessage({});
  } catch (err) {
    self.postMessage({ error: (err as Error).message });
    return;
  }
  let seen = 0;
  for (;;) {
    // spin a little before sleeping: waking a sleeping thread costs more than the spin
    for (let i = 0; i < 20000 && Atomics.load(v.control, CONTROL.generation) === seen; i++);
    // Spin up to 5 ms before sleeping: the next step comes sooner than a sleeping thread wakes
    // (on a VM that can take half a millisecond).
    const start = performance.now();
    while (Atomics.load(v.control, CONTROL.generation) === seen && performance.now() - start < 5);
    Atomics.wait(v.control, CONTROL.generation, seen);
    const generation = Atomics.load(v.control, CONTROL.generation);
    if (generation < 0) break;
    seen = generation;
    try {
      tf.tidy(() => net.params.flat.assign(tf.tensor1d(v.weights.slice())));
      const n = v.rows[0];
      const out = ddpmGradientOf(net, {
        betas,
        x0: v.x0.slice(0, n * dim),
        t: v.t.slice(0, n),
        eps: v.eps.slice(0, n * dim),
        dim,
        share: v.scalars[1],
      });
      v.grad.set(out.grad);
      v.scalars[0] = out.loss;
    } catch {
      Atomics.store(v.control, CONTROL.failed, 1);
    }
    Atomics.store(v.control, CONTROL.done, generation);
    Atomics.notify(v.control, CONTROL.done);
  }
  net.dispose();
};
