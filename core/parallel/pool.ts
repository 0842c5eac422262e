/**
 * A pool of Deno workers, each with its own tfjs on WASM-SIMD (tfjs runs one thread per instance
 * under Deno, tfjs#3830, so a second core needs a second instance). Work goes to a worker as a
 * named task of `tasks.ts` with plain-data arguments; results come back in the order asked for, so
 * whatever combines them does so in a fixed order and the outcome never depends on timing.
 */
import type { TaskArgs, TaskName, TaskResult } from "./tasks.ts";

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Worker threads that run {@link TaskName tasks}, one at a time each. */
export class WorkerPool {
  #next = 0;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(readonly workers: Worker[]) {
    for (const w of workers) {
      w.onmessage = (e: MessageEvent<Reply>) => {
        const p = this.#pending.get(e.data.id);
        if (!p) return;
        this.#pending.delete(e.data.id);
        if (e.data.error !== undefined) p.reject(new Error(`worker: ${e.data.error}`));
        else p.resolve(e.data.result);
      };
      w.onerror = (e) => {
        e.preventDefault();
        for (const p of this.#pending.values()) p.reject(new Error(`worker failed: ${e.message}`));
        this.#pending.clear();
      };
    }
  }

  /** Start `size` workers and wait until each has its backend up. */
  static async start(size: number): Promise<WorkerPool> {
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`workers must be a positive integer, got ${size}`);
    }
    const url = new URL("./pool_worker.ts", import.meta.url).href;
    const pool = new WorkerPool(
      Array.from({ length: size }, () => new Worker(url, { type: "module" })),
    );
    await Promise.all(pool.workers.map((_, i) => pool.run(i, "ready", {})));
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Run `task` on worker `i`. */
  run<K extends TaskName>(i: number, task: K, args: TaskArgs<K>): Promise<TaskResult<K>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[i].postMessage({ id, task, args });
    });
  }

  /** Stop every worker. */
  close(): void {
    for (const w of this.workers) w.terminate();
    for (const p of this.#pending.values()) p.reject(new Error("worker pool closed"));
    this.#pending.clear();
  }
}

/** Split `n` items into `parts` contiguous ranges, the first ones one longer when n does not divide. */
export function splitRange(n: number, parts: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const count = Math.floor(n / parts) + (i < n % parts ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}
