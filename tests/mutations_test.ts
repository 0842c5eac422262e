/**
 * The planted-bug suite stays applicable: every mutation's text occurs exactly once in its file
 * (a renamed variable otherwise turns a planted bug into a no-op that CI only finds after the long
 * runs), and names experiments of the registry; the same for the checker's bugs (`checker.json`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";

Deno.test("mutations: each find text occurs once in its file; experiments exist", async () => {
  const raw = JSON.parse(
    await Deno.readTextFile(join(PROJECT_ROOT, "tests", "mutations", "mutations.json")),
  );
  const list: { id: string; file: string; find: string; experiments: string[] }[] =
    Array.isArray(raw) ? raw : raw.mutations;
  assert.ok(list.length > 0, "no mutations");
  const names = new Set(EXPERIMENTS.map((e) => e.name));
  for (const m of list) {
    const text = await Deno.readTextFile(join(PROJECT_ROOT, m.file));
    const count = text.split(m.find).length - 1;
    assert.equal(count, 1, `${m.id}: its text occurs ${count} times in ${m.file}`);
    for (const e of m.experiments) assert.ok(names.has(e), `${m.id}: unknown experiment ${e}`);
  }
});

Deno.test("checker bugs: each find text occurs once in its file; the tests it names exist", async () => {
  const list: { id: string; file: string; find: string; tests: string[] }[] = JSON.parse(
    await Deno.readTextFile(join(PROJECT_ROOT, "tests", "mutations", "checker.json")),
  );
  assert.ok(list.length > 0, "no checker bugs");
  assert.equal(new Set(list.map((m) => m.id)).size, list.length, "ids are unique");
  for (const m of list) {
    const text = await Deno.readTextFile(join(PROJECT_ROOT, m.file));
    const count = text.split(m.find).length - 1;
    assert.equal(count, 1, `${m.id}: its text occurs ${count} times in ${m.file}`);
    assert.ok(m.tests.length > 0, `${m.id}: names no test`);
    for (const t of m.tests) await Deno.stat(join(PROJECT_ROOT, t));
  }
});
