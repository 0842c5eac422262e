/**
 * The tfjs WASM-SIMD backend, and nothing else.
 *
 * The `.wasm` binaries are read from the installed npm package (never the network). If WebAssembly
 * SIMD is unavailable, or `tf.setBackend("wasm")` resolves `false`, we stop with a clear error: the
 * pure-JS `cpu` backend is 10-100x slower and would silently change every timing, so after a
 * successful start every other backend is removed and a fallback is impossible.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths, version_wasm } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";

/** What the numbers of a run were computed on; recorded in every `metrics.json`. */
export interface BackendInfo {
  backend: "wasm";
  simd: boolean;
  threads: number;
  tfjs: string;
  tfjsBackendWasm: string;
  deno: string;
  v8: string;
}

/** Raised when the WASM-SIMD backend cannot start; the run stops before any work. */
export class BackendError extends Error {
  override name = "BackendError";
}

let started: BackendInfo | undefined;

/** Folder (as a file URL ending in `/`) holding the backend's `.wasm` files in the installed package. */
export function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@tensorflow/tfjs-backend-wasm");
  return pathToFileURL(dirname(entry)).href + "/";
}

/**
 * Start tfjs on WASM with SIMD (idempotent). Throws {@link BackendError} if WASM or SIMD is missing.
 * Removes every other registered backend so that no op can ever fall back to `cpu`.
 */
export async function initBackend(): Promise<BackendInfo> {
  if (started) return started;
  const dir = wasmDirectory();
  setWasmPaths({
    "tfjs-backend-wasm-simd.wasm": dir + "tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm.wasm": dir + "tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm": dir + "tfjs-backend-wasm-threaded-simd.wasm",
  });
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  if (!simd) {
    throw new BackendError(
      "WebAssembly SIMD is not available in this runtime; scorelab runs only on tfjs WASM-SIMD " +
        "(the cpu backend is 10-100x slower and is never used as a fallback).",
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend("wasm");
  } catch (e) {
    throw new BackendError(`the tfjs wasm backend failed to start: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== "wasm") {
    throw new BackendError(
      `tf.setBackend("wasm") resolved ${ok} (backend now "${tf.getBackend()}"): the wasm binaries ` +
        `under ${dir} could not be loaded. Run with --allow-read on the project folder.`,
    );
  }
  for (const name of Object.keys(tf.engine().registryFactory)) {
    if (name !== "wasm") tf.removeBackend(name);
  }
  started = {
    backend: "wasm",
    simd: true,
    threads: 1,
    tfjs: tf.version.tfjs,
    tfjsBackendWasm: version_wasm,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
  return started;
}
