/**
 * The worker side of `reproduce`: each Deno worker has its own tfjs and runs the jobs the
 * coordinator sends it, one at a time (a part of a run, or a run, which writes its folder itself),
 * and posts back the result. Jobs are independent, so their results do not depend on which worker
 * ran them.
 */
/// <reference lib="deno.worker" />
import { join } from "node:path";
import type { AnyExperiment } from "./experiment.ts";
import { type JobMessage, runPartJob, runRunJob } from "./job.ts";
import { confine } from "../runtime/sandbox.ts";
import { onInterruptRequest } from "./interrupt.ts";

/** Serve `reproduce`'s jobs from this worker, looking experiments up in `all` by name. */
export function serve(all: AnyExperiment[]): void {
  // An interrupt requested by a run is the coordinator's to carry out (it stops every worker).
  onInterruptRequest(() => self.postMessage({ interrupt: true }));
  self.onmessage = async (e: MessageEvent<JobMessage>) => {
    const m = e.data;
    // The worker writes its run's folder itself: the same sandbox as the coordinator's.
    confine({
      read: [m.options.root],
      write: [join(m.options.root, "reports")],
      shown: m.options.root,
    });
    // Under the coordinator's board, what a job prints goes above the board, not across it.
    if (m.options.progress === "events") {
      console.error = (...args: unknown[]) =>
        self.postMessage({
          progress: { label: "", phase: "", done: 0, total: 0, line: args.join(" ").trim() },
        });
    }
    const exp = all.find((x) => x.name === m.plan.name);
    if (!exp) throw new Error(`worker: unknown experiment ${m.plan.name}`);
    const plan = { ...m.plan, exp };
    self.postMessage(
      m.kind === "part" ? await runPartJob(plan, m.part, m.options, m.parts) : await runRunJob(
        plan,
        m.options,
        m.commit,
        m.golden,
        m.parts,
        m.partSeconds,
        m.partPhases,
      ),
    );
  };
}
