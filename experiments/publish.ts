/**
 * Entry point of `deno task publish [--from DIR] [--to DIR]`: copy the report site of a run
 * (default reports/) into a folder ready to upload (default reports/site/). Both folders lie under
 * reports/.
 */
import { parseArgs } from "node:util";
import { isAbsolute, join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { publishSite } from "../core/report/publish.ts";

const reports = join(PROJECT_ROOT, "reports");
function underReports(flag: string, value: string): string {
  const p = resolve(PROJECT_ROOT, value);
  const rel = relative(reports, p);
  if (value.split(/[\\/]/).includes("..") || rel.startsWith("..") || isAbsolute(rel)) {
    console.error(`error: ${flag}: got "${value}"; allowed: a folder under reports/, without '..'`);
    Deno.exit(2);
  }
  return p;
}

let v;
try {
  v = parseArgs({
    args: Deno.args,
    options: { from: { type: "string" }, to: { type: "string" } },
    strict: true,
  }).values;
} catch (e) {
  console.error(`error: ${(e as Error).message}; allowed flags: --from DIR, --to DIR`);
  Deno.exit(2);
}
const from = underReports("--from", v.from ?? "reports");
const to = underReports("--to", v.to ?? "reports/site");
if (from === to || relative(from, to) === "") {
  console.error("error: --to: must differ from --from");
  Deno.exit(2);
}
try {
  const files = await publishSite(from, to);
  console.log(
    `published ${files.length} files to ${
      relative(PROJECT_ROOT, to)
    }/ (open index.html, or upload the folder)`,
  );
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  Deno.exit(1);
}
