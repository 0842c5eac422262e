/**
 * `deno task costs [--parts-only] reports/summary.json [more summary.json]`: record the wall
 * seconds of the runs and parts those runs measured in `fixtures/costs.json` (the estimates that
 * balance shards, order the scheduler's jobs, drive the board's ETA and choose the full profiles
 * the browser offers). `--parts-only` records the parts' alone. Measure on the machine CI runs on.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { type CostsFile, recordCosts } from "../../core/harness/plan.ts";

const partsOnly = Deno.args.includes("--parts-only");
const files = Deno.args.filter((a) => a !== "--parts-only");
if (!files.length || files.some((f) => f.startsWith("--"))) {
  console.error("usage: deno task costs [--parts-only] <summary.json> [more summary.json]");
  Deno.exit(2);
}
const path = join(PROJECT_ROOT, "fixtures", "costs.json");
let costs = JSON.parse(await Deno.readTextFile(path)) as CostsFile;
for (const f of files) {
  let runs;
  try {
    runs = JSON.parse(await Deno.readTextFile(f)).experiments;
    if (!Array.isArray(runs)) throw new Error("no experiments list: not a summary.json");
  } catch (e) {
    console.error(`error: ${f}: ${(e as Error).message}`);
    Deno.exit(2);
  }
  costs = recordCosts(costs, runs, { partsOnly });
  console.log(`${f}: ${runs.length} runs recorded`);
}
await Deno.writeTextFile(path, JSON.stringify(costs, null, 2) + "\n");
