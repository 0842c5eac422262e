/**
 * The independent check of a run's sample metrics: Python + numpy (tests/independent/check_samples.py,
 * its own code) recomputes them from samples.csv and the harness's exact reference sample. Under
 * CI a missing python3 or numpy fails; elsewhere the check is skipped with a warning.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { type DatasetRef, resolveDataset } from "../../core/data/datasets.ts";
import { QualityJudge } from "../../core/metrics/quality.ts";
import { requireTool } from "./require.ts";

/** The independent figures of `runDir`'s samples.csv, or null when skipped outside CI. */
export async function independentFigures(
  runDir: string,
): Promise<{ theirs: Record<string, number>; ours: Record<string, number> } | null> {
  const m = JSON.parse(await Deno.readTextFile(join(runDir, "metrics.json")));
  // The data set a run's samples are judged against: its data (or target, or mixture) section's.
  const name = m.config.data?.dataset ?? m.config.target?.dataset ?? m.config.mixture?.dataset;
  if (typeof name !== "string") {
    throw new Error(`${runDir}: no data.dataset, target.dataset or mixture.dataset`);
  }
  const dataset = resolveDataset(name as DatasetRef, PROJECT_ROOT);
  const judge = new QualityJudge(dataset, m.config.quality);
  const dim = dataset.dim;
  const header = dim === 1 ? "x" : "x,y";
  const rows = [];
  for (let i = 0; i < judge.reference.length; i += dim) {
    rows.push(Array.from(judge.reference.subarray(i, i + dim), (v) => String(v)).join(","));
  }
  const ref = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(ref, `${header}\n${rows.join("\n")}\n`);
  try {
    let out;
    try {
      out = await new Deno.Command("/usr/bin/python3", {
        args: [
          join(PROJECT_ROOT, "tests/independent/check_samples.py"),
          join(runDir, "samples.csv"),
          ref,
          dataset.name,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch {
      requireTool(false as const, "/usr/bin/python3", "the independent metric check");
      return null;
    }
    const err = new TextDecoder().decode(out.stderr);
    if (!out.success && /No module named 'numpy'/.test(err)) {
      requireTool(
        false as const,
        "numpy (apt-get install python3-numpy)",
        "the independent metric check",
      );
      return null;
    }
    if (!out.success) throw new Error(`check_samples.py failed: ${err}`);
    return { theirs: JSON.parse(new TextDecoder().decode(out.stdout)), ours: m.metrics };
  } finally {
    await Deno.remove(ref);
  }
}
