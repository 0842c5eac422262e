/**
 * Entry point of `deno task publish [--from DIR] [--to DIR]`: copy the report site of a run
 * (default reports/) into a folder ready to upload (default reports/site/). Both folders lie under
 * reports/.
 */
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { PROJECT_ROOT, underReports } from "../core/harness/cli.ts";
import { ConfigError } from "../core/spec/rules.ts";
import { publishSite } from "../core/report/publish.ts";
import { confine } from "../core/runtime/sandbox.ts";

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
let from: string, to: string;
try {
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
