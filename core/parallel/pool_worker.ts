/**
 * The worker side of {@link WorkerPool}: start tfjs on WASM-SIMD, then run each task message and
 * post its result (or its error) back under the message's id.
 */
/// <reference lib="deno.worker" />
import { initBackend } from "../runtime/backend.ts";
import { TASKS } from "./tasks.ts";

const ready = initBackend();

self.onmessage = async (e: MessageEvent<{ id: number; task: keyof typeof TASKS; args: never }>) => {
  const { id, task, args } = e.data;
  try {
    await ready;
    const result = TASKS[task](args);
    self.postMessage({ id, result });
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message });
  }
};
