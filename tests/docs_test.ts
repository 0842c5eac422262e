import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { readmeBlocks, replaceBlocks } from "../core/harness/docs.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import { refusalsMarkdown } from "./hostile_cases.ts";

Deno.test("the README's generated blocks (flag table, power matrix) are current: run `deno task docs`", async () => {
  const readme = await Deno.readTextFile(join(PROJECT_ROOT, "README.md"));
  const blocks = await readmeBlocks(PROJECT_ROOT, EXPERIMENTS, { refusals: refusalsMarkdown() });
  assert.ok(blocks.power.split("\n").length >= 3, "the power matrix has rows");
  assert.equal(replaceBlocks(readme, blocks), readme);
});
