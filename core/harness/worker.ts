/**
 * The worker side of `reproduce`: each Deno worker has its own tfjs and runs the plans the
 * coordinator sends it, one at a time, writing each run's folder itself; it posts back the
 * summary. Runs are independent, so their results do not depend on which worker ran them.
 */
/// <reference lib="deno.worker" />
import type { AnyExperiment } from "./experiment.ts";
import { runChecked, type RunMessage } from "./runner.ts";
import { confine } from "../runtime/sandbox.ts";
import { onInterruptRequest } from "./interrupt.ts";
import { join } from "node:path";

/** Serve `reproduce`'s plans from this worker, looking experiments up in `all` by name. */
export function serve(all: AnyExperiment[]): void {
  // An interrupt requested by a run is the coordinator's to carry out (it stops every worker).
  onInterruptRequest(() => self.postMessage({ interrupt: true }));
  self.onmessage = async (e: MessageEvent<RunMessage>) => {
    const { plan, options, commit, golden } = e.data;
    // The worker writes its run's folder itself: the same sandbox as the coordinator's.
    confine({ read: [options.root], write: [join(options.root, "reports")], shown: options.root });
    const exp = all.find((x) => x.name === plan.name);
    if (!exp) throw new Error(`worker: unknown experiment ${plan.name}`);
    self.postMessage(await runChecked({ ...plan, exp }, options, commit, golden));
  };
}
