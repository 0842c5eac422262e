/**
 * Entry point of `deno task merge <shard folders...> --out DIR`: join the folders written by
 * `deno task reproduce --shard i/n --out <folder>` into one report site in DIR (under reports/),
 * laid out as a serial run's, with one golden verdict (exit code 1 when a run failed or regressed,
 * 2 when the shards cannot be merged).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ciEnvironment, PROJECT_ROOT, reportsDir, underReports } from "../core/harness/cli.ts";
import { ConfigError, USAGE_EXIT } from "../core/spec/rules.ts";
import { merge, MergeError } from "../core/harness/merge.ts";
import { confine, SandboxError } from "../core/runtime/sandbox.ts";
import { EXPERIMENTS } from "./mod.ts";

const USAGE = `usage: deno task merge <shard folder>... [--out DIR]
  <shard folder>   the --out folder of each \`reproduce --shard i/n\` run (under reports/)
  --out DIR        where the merged site goes (a folder under reports/; default reports/)
  --ci=true        a missing golden fails the merge (default: the CI environment variable)`;

try {
  const { values: v, positionals } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string" }, ci: { type: "string" }, help: { type: "boolean" } },
    strict: true,
    allowPositionals: true,
  });
  if (v.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (positionals.length === 0) {
    throw new ConfigError("shard folders", [], "one or more folders under reports/");
  }
  const shardDirs = positionals.map((p) => underReports("shard folder", p));
  confine({ read: [PROJECT_ROOT], write: [join(PROJECT_ROOT, "reports")], shown: PROJECT_ROOT });
  const outDir = v.out === undefined ? reportsDir() : underReports("--out", v.out);
  const { exitCode } = await merge({
    root: PROJECT_ROOT,
    shardDirs,
    outDir,
    experiments: EXPERIMENTS,
    ci: /^(true|1|yes)$/i.test((v.ci ?? ciEnvironment()).trim()),
  });
  Deno.exit(exitCode);
} catch (e) {
  if (e instanceof ConfigError || e instanceof MergeError || e instanceof SandboxError) {
    console.error(`error: ${e.message}\n\n${USAGE}`);
    Deno.exit(USAGE_EXIT);
  }
  if (e instanceof TypeError && "code" in e) {
    console.error(`error: ${e.message}\n\n${USAGE}`);
    Deno.exit(USAGE_EXIT);
  }
  throw e;
}
