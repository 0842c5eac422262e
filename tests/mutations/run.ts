/**
 * `deno task test:mutations [--only id,...] [--jobs N]`: planted regressions, black box.
 *
 * For each mutation of `mutations.json` (a file, an exact text that must occur once, its
 * replacement, what it breaks, the experiments it affects), the project is copied to a temporary
 * folder (node_modules as hard links), the mutation applied to the real source, and
 * `reproduce --profile quick` run on the affected experiments. The golden check must fail. First
 * the unmutated project must pass the same runs, or a "caught" would mean nothing. Results go to
 * reports/mutations.json: which mutation was caught by which metrics.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/harness/cli.ts";
import { writeJsonAtomic } from "../../core/runtime/io.ts";

interface Mutation {
  id: string;
  file: string;
  find: string;
  replace: string;
  breaks: string;
  experiments: string[];
  seed?: number;
}

interface Outcome {
  id: string;
  breaks: string;
  caught: boolean;
  error?: string;
  verdicts: Record<string, { verdict: string; failing: string[] }>;
  seconds: number;
}

const COPIED = ["deno.json", "deno.lock", "mod.ts", "core", "experiments", "fixtures"];

async function copyTree(from: string, to: string): Promise<void> {
  if ((await Deno.stat(from)).isFile) return void await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await copyTree(join(from, e.name), join(to, e.name));
}

/** A throwaway copy of the project, with `mutate` applied to it. */
async function workspace(mutate?: Mutation): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "scorelab-mutant-" });
  for (const f of COPIED) await copyTree(join(PROJECT_ROOT, f), join(dir, f));
  await Deno.mkdir(join(dir, "reports"));
  // node_modules as hard links (fast, no space; same file system): the mutant's reproduce task may
  // read only its own folder, so a symlink out of it would be refused.
  const cp = await new Deno.Command("cp", {
    args: ["-al", join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules")],
  }).output();
  if (!cp.success) {
    throw new Error(
      `could not copy node_modules into ${dir}: ${new TextDecoder().decode(cp.stderr)}`,
    );
  }

  if (mutate) {
    const path = join(dir, mutate.file);
    const src = await Deno.readTextFile(path);
    const n = src.split(mutate.find).length - 1;
    if (n !== 1) {
      throw new Error(
        `mutation ${mutate.id}: its text occurs ${n} times in ${mutate.file} (must be once)`,
      );
    }
    await Deno.writeTextFile(path, src.replace(mutate.find, mutate.replace));
  }
  return dir;
}

/** Run the quick golden check of `experiments` in `dir`; returns the exit code and the verdicts. */
async function check(dir: string, experiments: string[], seed?: number) {
  const args = [
    "task",
    "-q",
    "reproduce",
    "--profile",
    "quick",
    "--only",
    experiments.join(","),
    "--ci=true",
    "--out",
    "reports/mutant",
  ];
  if (seed !== undefined) args.push("--seed", String(seed));
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const verdicts: Outcome["verdicts"] = {};
  try {
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "reports", "mutant", "summary.json")),
    );
    for (const e of summary.experiments) {
      verdicts[e.name] = { verdict: e.verdict, failing: e.failing };
    }
  } catch { /* no summary: the run stopped before writing it */ }
  return { code: out.code, verdicts, stderr: new TextDecoder().decode(out.stderr) };
}

async function run(m: Mutation): Promise<Outcome> {
  const start = performance.now();
  let dir: string | undefined;
  try {
    dir = await workspace(m);
    const r = await check(dir, m.experiments, m.seed);
    const failed = Object.values(r.verdicts).some((v) =>
      ["regressed", "changed", "failed"].includes(v.verdict)
    );
    return {
      id: m.id,
      breaks: m.breaks,
      caught: r.code === 1 && failed,
      error: r.code === 2 ? `usage error: ${r.stderr.trim().split("\n")[0]}` : undefined,
      verdicts: r.verdicts,
      seconds: (performance.now() - start) / 1000,
    };
  } catch (e) {
    return {
      id: m.id,
      breaks: m.breaks,
      caught: false,
      error: (e as Error).message,
      verdicts: {},
      seconds: 0,
    };
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, jobs: { type: "string" } },
  strict: true,
});
let mutations: Mutation[] = JSON.parse(
  await Deno.readTextFile(join(PROJECT_ROOT, "tests", "mutations", "mutations.json")),
);
if (values.only) {
  const ids = values.only.split(",");
  const unknown = ids.filter((i) => !mutations.some((m) => m.id === i));
  if (unknown.length) {
    console.error(
      `error: --only: unknown mutations ${unknown.join(", ")}; known: ${
        mutations.map((m) => m.id).join(", ")
      }`,
    );
    Deno.exit(2);
  }
  mutations = mutations.filter((m) => ids.includes(m.id));
}
const jobs = Number(values.jobs ?? 2);

// The unmutated project must pass every check the mutations will run.
console.log("baseline: the unmutated project's quick golden checks");
const groups = new Map<string, string[]>();
for (const m of mutations) {
  const key = String(m.seed ?? "");
  groups.set(key, [...new Set([...(groups.get(key) ?? []), ...m.experiments])]);
}
const base = await workspace();
try {
  for (const [seed, exps] of groups) {
    const r = await check(base, exps, seed === "" ? undefined : Number(seed));
    if (r.code !== 0) {
      console.error(
        `baseline failed (seed ${seed || "default"}): ${JSON.stringify(r.verdicts)}\n${r.stderr}`,
      );
      Deno.exit(1);
    }
  }
} finally {
  await Deno.remove(base, { recursive: true });
}

const outcomes: Outcome[] = [];
const queue = [...mutations];
await Promise.all(Array.from({ length: jobs }, async () => {
  for (let m = queue.shift(); m; m = queue.shift()) {
    const o = await run(m);
    outcomes.push(o);
    const how = o.error ??
      Object.entries(o.verdicts).map(([e, v]) =>
        `${e}: ${v.verdict}${v.failing.length ? ` (${v.failing.join(", ")})` : ""}`
      ).join("; ");
    console.log(`${o.caught ? "caught  " : "SURVIVED"} ${o.id.padEnd(30)} ${how}`);
  }
}));
outcomes.sort((a, b) =>
  mutations.findIndex((m) => m.id === a.id) - mutations.findIndex((m) => m.id === b.id)
);
await writeJsonAtomic(join(PROJECT_ROOT, "reports", "mutations.json"), outcomes);
const survived = outcomes.filter((o) => !o.caught);
console.log(
  `\n${
    outcomes.length - survived.length
  }/${outcomes.length} planted regressions caught; results in reports/mutations.json`,
);
if (survived.length) {
  console.error(`survived: ${survived.map((o) => o.id).join(", ")}`);
  Deno.exit(1);
}
