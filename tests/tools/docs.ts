/**
 * `deno task docs`: rewrite the README's generated blocks (the flag table from the flags' own
 * table, the power matrix from the goldens). `tests/docs_test.ts` checks they are current.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { readmeBlocks, replaceBlocks } from "../../core/harness/docs.ts";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import { refusalsMarkdown } from "../hostile_cases.ts";

const path = join(PROJECT_ROOT, "README.md");
const readme = await Deno.readTextFile(path);
const next = replaceBlocks(
  readme,
  await readmeBlocks(PROJECT_ROOT, EXPERIMENTS, { refusals: refusalsMarkdown() }),
);
if (next === readme) console.log("README.md is current");
else {
  await Deno.writeTextFile(path, next);
  console.log("README.md: generated blocks rewritten");
}
