/**
 * The worker side of `reproduce`: each Deno worker has its own tfjs and runs the plans the
 * coordinator sends it, one at a time, writing each run's folder itself; it posts back the
 * summary. Runs are independent, so their results do not depend on which worker ran them.
 */
/// <reference lib="deno.worker" />
import type { AnyExperiment } from "./experiment.ts";
import { type PlanMessage, runChecked, type WorkerOptions } from "./runner.ts";

/** Serve `reproduce`'s plans from this worker, looking experiments up in `all` by name. */
export function serve(all: AnyExperiment[]): void {
  self.onmessage = async (
    e: MessageEvent<{ plan: PlanMessage; options: WorkerOptions; commit: string | null }>,
  ) => {
    const { plan, options, commit } = e.data;
    const exp = all.find((x) => x.name === plan.name);
    if (!exp) throw new Error(`worker: unknown experiment ${plan.name}`);
    self.postMessage(await runChecked({ ...plan, exp }, options, commit));
  };
}
