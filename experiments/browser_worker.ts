/**
 * The Web Worker of "Reproduce in your browser": started by the report page with
 * `{ experiment, profile, seed, wasmBase }`, it starts tfjs on WASM-SIMD (single-threaded, as the
 * harness's Deno workers run; never the cpu backend), runs the experiment in this thread
 * (`run.ts`) and posts progress, then `{ type: "done", samplesSha256, outputsSha256, metrics, seconds, kernels }`
 * or `{ type: "error", message }`. Bundled for browsers by `deno task publish`.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { EXPERIMENTS } from "./mod.ts";
import type { ProfileName } from "../core/harness/experiment.ts";
import { kernelBuild } from "../core/kernels/kernels.ts";
import type { Progress } from "../core/runtime/progress.ts";
import { runInThread } from "../core/browser/run.ts";

/** What the page sends. */
export interface ReproduceRequest {
  experiment: string;
  profile: ProfileName;
  seed: number;
  /** URL of the folder holding tfjs's `.wasm` files (ending in `/`). */
  wasmBase: string;
}

const post = (m: Record<string, unknown>) => (self as unknown as Worker).postMessage(m);

/** Progress as messages: one per phase start and at most one per 250 ms. */
function postingProgress(): Progress {
  let last = 0;
  return {
    phase(name, total) {
      let done = 0;
      post({ type: "progress", phase: name, done, total });
      return {
        tick(n = 1) {
          done += n;
          const now = performance.now();
          if (now - last > 250 || done >= total) {
            last = now;
            post({ type: "progress", phase: name, done, total });
          }
          return Promise.resolve();
        },
        note() {},
        done() {
          post({ type: "progress", phase: name, done: total, total });
        },
      };
    },
    timings: () => ({}),
  };
}

async function startBackend(wasmBase: string): Promise<void> {
  // One thread, as in Deno (the threaded build needs cross-origin isolation anyway).
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setWasmPaths(wasmBase);
  if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) {
    throw new Error("this browser has no WebAssembly SIMD; the experiments run only on WASM-SIMD");
  }
  if (!(await tf.setBackend("wasm")) || tf.getBackend() !== "wasm") {
    throw new Error(`the tfjs wasm backend did not start (the .wasm files under ${wasmBase})`);
  }
  for (const name of Object.keys(tf.engine().registryFactory)) {
    if (name !== "wasm") tf.removeBackend(name);
  }
}

(self as unknown as Worker).onmessage = async (e: MessageEvent<ReproduceRequest>) => {
  const { experiment, profile, seed, wasmBase } = e.data;
  try {
    const exp = EXPERIMENTS.find((x) => x.name === experiment);
    if (!exp) throw new Error(`no experiment named ${experiment}`);
    if (profile !== "quick" && profile !== "full") throw new Error(`no profile ${profile}`);
    await startBackend(wasmBase);
    const r = await runInThread(exp, profile, seed, postingProgress());
    post({ type: "done", ...r, kernels: kernelBuild() });
  } catch (err) {
    post({ type: "error", message: (err as Error).message });
  }
};
