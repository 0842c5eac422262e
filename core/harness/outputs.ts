/**
 * A run's outputs besides its metrics and `samples.csv`, each reduced to a sha256 the golden keeps
 * per seed, so that no figure or file of a run can change while the check says bit-exact (a
 * conditional Langevin sampler whose samples moved, but whose label accuracy did not, was
 * accepted before):
 * - every other file the run writes (`nll.csv`, `chains.csv`, one CSV per sampler, ...);
 * - the data of every chart: the canonical JSON of each `values` array in its Vega-Lite spec, in
 *   the spec's order. The rest of a spec (marks, scales, titles) is its structure, which the
 *   report test's snapshots hold, so restyling a chart does not touch a golden;
 * - the `details` kept in `metrics.json` (per-mode counts, tables).
 * Charts built from wall-clock measurements (`timing`) are left out: they measure the machine.
 */
import type { RunOutput } from "./experiment.ts";
import { canonicalJson, sha256 } from "../runtime/io.ts";

/** The name of the primary samples' file, hashed on its own (`samplesSha256`). */
export const SAMPLES_FILE = "samples.csv";

/** Every `values` array of a Vega-Lite spec, in the order a depth-first walk meets them. */
export function chartData(spec: unknown): unknown[][] {
  const found: unknown[][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, w] of Object.entries(v)) {
        if (k === "values" && Array.isArray(w)) found.push(w);
        else walk(w);
      }
    }
  };
  walk(spec);
  return found;
}

/**
 * The sha256 of each output of a run but its metrics and samples: `<file>` for a file,
 * `chart <name>` for a chart's data, `details` for the details (when the run has any).
 */
export async function outputDigests(out: RunOutput): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  const put = (name: string, digest: string) => {
    // Two outputs of one name would overwrite each other's file and digest.
    if (name in digests) throw new Error(`the run returns two outputs named "${name}"`);
    digests[name] = digest;
  };
  for (const f of out.files) {
    if (f.name !== SAMPLES_FILE) put(f.name, await sha256(f.content));
  }
  for (const c of out.charts) {
    if (!c.timing) put(`chart ${c.name}`, await sha256(canonicalJson(chartData(c.spec))));
  }
  if (out.details && Object.keys(out.details).length) {
    put("details", await sha256(canonicalJson(out.details)));
  }
  return digests;
}

/** The outputs whose sha256 differs between two digest maps, or that one of them lacks; sorted. */
export function changedOutputs(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}
