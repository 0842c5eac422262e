/**
 * Entry point of `deno task publish [--from DIR] [--to DIR]`: copy the report site of a run
 * (default reports/) into a folder ready to upload (default reports/site/). Both folders lie under
 * reports/.
 */
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { PROJECT_ROOT, underReports } from "../core/harness/cli.ts";
import { ConfigError } from "../core/spec/rules.ts";
import { type BrowserReproduction, publishSite } from "../core/report/publish.ts";
import { fileURLToPath } from "node:url";
import { wasmDirectory } from "../core/runtime/backend.ts";
import { readGolden } from "../core/harness/golden.ts";
import { EXPERIMENTS } from "./mod.ts";

/** Full profiles cheaper than this (Deno seconds, fixtures/costs.json) are offered in the browser. */
const BROWSER_FULL_SECONDS = 30;

/** The worker bundle and the references the browser compares with (the goldens' default runs). */
async function browserReproduction(): Promise<BrowserReproduction> {
  const worker = join(PROJECT_ROOT, "reports", ".reproduce", "worker.js");
  try {
    await Deno.stat(worker);
  } catch {
    throw new Error(
      "reports/.reproduce/worker.js is missing: run `deno task publish`, which bundles it first",
    );
  }
  const costs = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, "fixtures", "costs.json")))
    .costs as Record<string, Record<string, number>>;
  const references: BrowserReproduction["references"] = {};
  for (const e of EXPERIMENTS) {
    for (const profile of ["quick", "full"] as const) {
      if (profile === "full" && !(costs[e.name]?.full <= BROWSER_FULL_SECONDS)) continue;
      const file = join(PROJECT_ROOT, "fixtures", "golden", `${e.name}.${profile}.json`);
      const g = await readGolden(file, e.name, profile, PROJECT_ROOT);
      const run = g?.runs.find((r) => r.seed === g.seed);
      if (!run) continue;
      (references[e.name] ??= {})[profile] = {
        seed: run.seed,
        samplesSha256: run.samplesSha256,
        outputsSha256: run.outputsSha256,
        metrics: run.metrics,
      };
    }
  }
  return { worker, wasmDir: fileURLToPath(wasmDirectory()), references };
}
import { confine } from "../core/runtime/sandbox.ts";

let v;
try {
  v = parseArgs({
    args: Deno.args,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      // Task plumbing: run before `deno bundle` writes reports/.reproduce/ (see deno.json).
      "bundle-target": { type: "boolean" },
    },
    strict: true,
  }).values;
} catch (e) {
  console.error(`error: ${(e as Error).message}; allowed flags: --from DIR, --to DIR`);
  Deno.exit(2);
}
let from: string, to: string;
try {
  // The bundle's folder must lie inside reports/ (itself inside the project), links followed.
  underReports("bundle folder", "reports/.reproduce");
  if (v["bundle-target"]) Deno.exit(0);
  from = underReports("--from", v.from ?? "reports");
  to = underReports("--to", v.to ?? "reports/site");
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`error: ${e.message}`);
  Deno.exit(2);
}
confine({ read: [PROJECT_ROOT], write: [join(PROJECT_ROOT, "reports")], shown: PROJECT_ROOT });
if (from === to || relative(from, to) === "") {
  console.error("error: --to: must differ from --from");
  Deno.exit(2);
}
try {
  const files = await publishSite(from, to, await browserReproduction());
  console.log(
    `published ${files.length} files to ${
      relative(PROJECT_ROOT, to)
    }/ (open index.html, or upload the folder)`,
  );
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  Deno.exit(1);
}
