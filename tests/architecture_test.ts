/**
 * The shape of the house, checked: imports go one way (the layers of NOTES.md's map), no module
 * imports itself through others (no import circle), and an experiment is a short file (its page
 * file beside it, also short).
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";

/** Rank of each folder: a module may import only modules of its own rank or lower. */
const RANK: Record<string, number> = {
  "core/runtime": 0,
  "core/kernels": 1,
  "core/data": 1,
  "core/spec": 2,
  "core/nn": 2,
  "core/noise": 2,
  "core/solvers": 2,
  "core/models.ts": 3,
  "core/objectives": 3,
  "core/samplers": 4,
  "core/likelihood.ts": 4,
  "core/elbo.ts": 4,
  "core/guidance": 4,
  "core/metrics": 4,
  "core/parallel": 5,
  "core/recipes": 5,
  "core/report": 6,
  "core/harness": 7,
  "core/browser": 7,
  "experiments": 8,
  "mod.ts": 9,
  "tests": 9,
};

function rankOf(file: string): number {
  const key = Object.keys(RANK).filter((k) => file === k || file.startsWith(k + "/"))
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) throw new Error(`${file}: no layer in the architecture test's table`);
  return RANK[key];
}

/** The project's import graph (file -> files), from `deno info --json`. */
async function importGraph(roots: string[]): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  for (const root of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    const local = (s?: string) =>
      s?.startsWith("file://") ? relative(PROJECT_ROOT, new URL(s).pathname) : undefined;
    for (const m of info.modules) {
      const from = local(m.specifier);
      if (!from || from.startsWith("..") || from.startsWith("node_modules")) continue;
      const deps = graph.get(from) ?? new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          const to = local(s);
          if (to && !to.startsWith("..") && !to.startsWith("node_modules")) deps.add(to);
        }
      }
      graph.set(from, deps);
    }
  }
  return graph;
}

const graph = await importGraph([
  "mod.ts",
  ...[...Deno.readDirSync(`${PROJECT_ROOT}/experiments`)]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => `experiments/${e.name}`),
]);

Deno.test("imports go down the layers: no module imports a higher layer", () => {
  const wrong: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      if (rankOf(to) > rankOf(from)) wrong.push(`${from} -> ${to}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(graph.size > 100, `${graph.size} modules in the graph`);
});

Deno.test("no import circle", () => {
  // Tarjan's strongly connected components; a component of two or more files is a circle.
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), circles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1) circles.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(circles.map((c) => c.join(" <-> ")), []);
});

Deno.test("every experiment is a short file, its page file too (at most 200 lines each)", () => {
  const long: string[] = [];
  let count = 0;
  for (const e of Deno.readDirSync(`${PROJECT_ROOT}/experiments`)) {
    if (!e.isFile || !e.name.endsWith(".ts")) continue;
    const lines = Deno.readTextFileSync(`${PROJECT_ROOT}/experiments/${e.name}`).split("\n").length;
    count++;
    if (lines > 201) long.push(`${e.name}: ${lines - 1} lines`);
  }
  assert.deepEqual(long, []);
  assert.ok(count >= 20, `${count} experiment files read`);
});
