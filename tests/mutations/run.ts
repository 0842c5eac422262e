/**
 * `deno task test:mutations [--only id,...] [--jobs N] [--file F]`: planted bugs (`mutations.json`,
 * or a round of candidates in F), judged by both layers of the golden check, black box.
 *
 * For each mutation of `mutations.json` (a file, an exact text that must occur once, its
 * replacement, what it breaks, the experiments it affects, its kind), the project is copied to a
 * temporary folder (node_modules as hard links), the mutation applied to the real source, and:
 *
 * 1. `reproduce --profile quick --ci=true` on the affected experiments (with the mutation's
 *    `--seed` if it has one): does the reproducibility layer flag it (changed, stale golden,
 *    regressed)? A compile error or a failed run is reported as such, never as a catch, but for
 *    a run that stops because every sample diverged: that is the product's own loud refusal
 *    (`QualityJudge.figures`), counted as one.
 * 2. The quality layer, as `update-golden` would judge the mutant: the single-run gate of step 1;
 *    if it lets the mutant through, `reproduce --sweep` (every quick seed) and the sweep gate.
 * 3. For `metric` mutations (bugs in the instrument itself, which the quality layer reads through
 *    the broken metric): the independent numpy check of the mutant's samples must disagree.
 *
 * A mutation passes when it is flagged by the reproducibility layer, refused by the quality layer
 * when it degrades quality (`method` and `config` kinds, unless `degrades` is false), and (metric
 * kind) contradicted by the independent check. First the unmutated project must come back
 * bit-exact on every run the mutations use. Results: reports/mutations.json and a table.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { writeJsonAtomic } from "../../core/runtime/io.ts";
import { independentFigures } from "../tools/independent.ts";
import { workspace as copyProject } from "./workspace.ts";

/** A planted bug. */
interface Mutation {
  id: string;
  file: string;
  find: string;
  replace: string;
  breaks: string;
  experiments: string[];
  /** Run with this seed (it must be one of the golden's quick seeds). */
  seed?: number;
  /** method (default): a bug in the method; config: an edit of a profile; metric: the instrument. */
  kind?: "method" | "config" | "metric";
  /** Does it make the samples or the method's figures worse? (default: true but for metric kind) */
  degrades?: boolean;
  /**
   * Measured: its effect on quality lies within the seed-to-seed spread, so the quality layer
   * cannot see it (what, published in the README); only the reproducibility layer must flag it.
   */
  belowPower?: string;
}

/** What became of one mutation. */
interface Outcome {
  id: string;
  breaks: string;
  kind: string;
  /** "compile error" or "crash" when the mutant did not run through; else "ran". */
  ran: "ran" | "compile error" | "crash";
  problem?: string;
  /** Reproducibility layer: each experiment's verdict. */
  reproducibility: Record<string, string>;
  flagged: boolean;
  /** Quality layer: "refused by the single-run gate", "refused by the sweep gate", "accepted". */
  quality: string;
  /** The metrics that decided the quality verdict. */
  qualityMetrics: string[];
  /** Metric kind: does the independent check contradict the mutant's metrics? */
  independent?: string;
  pass: boolean;
  seconds: number;
}

const COPIED = ["deno.json", "deno.lock", "mod.ts", "core", "experiments", "fixtures"];

/** A throwaway copy of the project, with `mutate` applied to it. */
const workspace = (mutate?: Mutation) => copyProject(COPIED, mutate);

interface RunRecord {
  name: string;
  verdict: string;
  quality?: string;
  failing: string[];
  error?: string;
}

/** `reproduce --profile quick` of `experiments` in `dir` (a sweep with `sweep`). */
async function reproduce(
  dir: string,
  experiments: string[],
  o: { seed?: number; sweep?: boolean },
) {
  const out = o.sweep ? "reports/mutant-sweep" : "reports/mutant";
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
    out,
    ...(o.sweep ? ["--sweep"] : []),
    ...(o.seed !== undefined ? ["--seed", String(o.seed)] : []),
  ];
  const res = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", CI: "" },
  }).output();
  const stderr = new TextDecoder().decode(res.stderr);
  let summary: {
    experiments: RunRecord[];
    sweeps?: { name: string; verdict: string; checks: { metric: string; ok: boolean }[] }[];
  } | null = null;
  try {
    summary = JSON.parse(await Deno.readTextFile(join(dir, out, "summary.json")));
  } catch { /* the run stopped before writing it */ }
  return { code: res.code, stderr, summary, outDir: join(dir, out) };
}

/** The error of a run whose samples all diverged (`QualityJudge.figures`). */
const DIVERGED = /rows are not finite \(NaN or ±Infinity\): the sampler diverged/;

/** Compile error, crash, or null when every run went through. */
function failure(
  r: Awaited<ReturnType<typeof reproduce>>,
): Pick<Outcome, "ran" | "problem"> | null {
  if (!r.summary) {
    const compile = /TS\d{4}|Type checking failed|SyntaxError|Module not found/.test(r.stderr);
    const line = r.stderr.split("\n").find((l) => /error/i.test(l)) ?? r.stderr.slice(0, 200);
    return { ran: compile ? "compile error" : "crash", problem: `exit ${r.code}: ${line.trim()}` };
  }
  const failed = r.summary.experiments.filter((e) => e.verdict === "failed");
  if (failed.length) {
    return { ran: "crash", problem: failed.map((e) => `${e.name}: ${e.error}`).join("; ") };
  }
  return null;
}

async function judge(m: Mutation): Promise<Outcome> {
  const start = performance.now();
  const kind = m.kind ?? "method";
  const degrades = (m.degrades ?? kind !== "metric") && m.belowPower === undefined;
  const base: Outcome = {
    id: m.id,
    breaks: m.breaks,
    kind,
    ran: "ran",
    reproducibility: {},
    flagged: false,
    quality: "not judged",
    qualityMetrics: [],
    pass: false,
    seconds: 0,
  };
  let dir: string | undefined;
  try {
    dir = await workspace(m);
    const r = await reproduce(dir, m.experiments, { seed: m.seed });
    const fail = failure(r);
    const diverged = r.summary?.experiments.filter((e) => e.verdict === "failed") ?? [];
    if (fail && diverged.length && diverged.every((e) => DIVERGED.test(e.error ?? ""))) {
      // the run refused its samples, loudly: a catch by the product, not a malformed mutation
      return {
        ...base,
        reproducibility: Object.fromEntries(diverged.map((e) => [e.name, "failed (diverged)"])),
        flagged: true,
        quality: "refused: the run stopped on diverged samples",
        qualityMetrics: diverged.map((e) => `${e.name}: ${e.error}`),
        pass: true,
        seconds: (performance.now() - start) / 1000,
      };
    }
    if (fail) return { ...base, ...fail, seconds: (performance.now() - start) / 1000 };
    const runs = r.summary!.experiments;
    const reproducibility = Object.fromEntries(
      runs.map((
        e,
      ) => [
        e.name,
        e.verdict + (e.failing.length ? ` (${e.failing.slice(0, 4).join(", ")})` : ""),
      ]),
    );
    const flagged = runs.some((e) => ["changed", "regressed", "stale golden"].includes(e.verdict));
    let quality = "accepted";
    let qualityMetrics: string[] = [];
    const single = runs.filter((e) => e.quality === "regressed");
    if (single.length) {
      quality = "refused by the single-run gate";
      qualityMetrics = single.flatMap((e) => e.failing.map((f) => `${e.name}: ${f}`));
    } else {
      const s = await reproduce(dir, m.experiments, { sweep: true });
      const sfail = failure(s);
      if (sfail) {
        return {
          ...base,
          ...sfail,
          reproducibility,
          flagged,
          seconds: (performance.now() - start) / 1000,
        };
      }
      const bad = (s.summary!.sweeps ?? []).filter((v) => v.verdict === "regressed");
      if (bad.length) {
        quality = "refused by the sweep gate";
        qualityMetrics = bad.flatMap((v) =>
          v.checks.filter((c) => !c.ok).map((c) => `${v.name}: ${c.metric}`)
        );
      }
    }
    let independent: string | undefined;
    if (kind === "metric") {
      independent = "no samples to check";
      for (const e of runs) {
        const f = await independentFigures(join(r.outDir, e.name)).catch(() => null);
        if (!f) continue;
        const off = Object.keys(f.theirs).filter((k) =>
          !(k in f.ours) || Math.abs(f.ours[k] - f.theirs[k]) > 1e-9
        );
        independent = off.length ? `disagrees (${e.name}: ${off.join(", ")})` : "agrees";
        if (off.length) break;
      }
    }
    const refused = quality !== "accepted";
    const pass = flagged && (!degrades || refused) &&
      (kind !== "metric" || !independent?.startsWith("agrees"));
    return {
      ...base,
      reproducibility,
      flagged,
      quality,
      qualityMetrics,
      independent,
      pass,
      seconds: (performance.now() - start) / 1000,
    };
  } catch (e) {
    return {
      ...base,
      ran: "crash",
      problem: (e as Error).message,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, jobs: { type: "string" }, file: { type: "string" } },
  strict: true,
});
// --file: a round of candidate bugs, judged the same way before they join the suite.
let mutations: Mutation[] = JSON.parse(
  await Deno.readTextFile(
    values.file ?? join(PROJECT_ROOT, "tests", "mutations", "mutations.json"),
  ),
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
if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 16) {
  console.error(`error: --jobs: got ${values.jobs}; allowed: an integer in [1, 16]`);
  Deno.exit(2);
}

// The unmutated project must come back bit-exact on every run the mutations use.
console.log("baseline: the unmutated project's quick runs must come back bit-exact");
const groups = new Map<string, string[]>();
for (const m of mutations) {
  const key = String(m.seed ?? "");
  groups.set(key, [...new Set([...(groups.get(key) ?? []), ...m.experiments])]);
}
const baseDir = await workspace();
try {
  for (const [seed, exps] of groups) {
    const r = await reproduce(baseDir, exps, { seed: seed === "" ? undefined : Number(seed) });
    const bad = r.summary?.experiments.filter((e) => e.verdict !== "bit-exact") ?? [];
    if (r.code !== 0 || !r.summary || bad.length) {
      console.error(
        `baseline failed (seed ${seed || "default"}): ${JSON.stringify(bad)}\n${r.stderr}`,
      );
      Deno.exit(1);
    }
  }
} finally {
  await Deno.remove(baseDir, { recursive: true });
}

const outcomes: Outcome[] = [];
const queue = [...mutations];
await Promise.all(Array.from({ length: jobs }, async () => {
  for (let m = queue.shift(); m; m = queue.shift()) {
    const o = await judge(m);
    outcomes.push(o);
    const repro = o.ran !== "ran"
      ? `${o.ran.toUpperCase()}: ${o.problem}`
      : `${o.flagged ? "flagged" : "NOT FLAGGED"} [${
        Object.entries(o.reproducibility).map(([e, v]) => `${e}: ${v}`).join("; ")
      }]`;
    const q = o.ran === "ran"
      ? ` · quality: ${o.quality}${
        o.qualityMetrics.length ? ` (${o.qualityMetrics.slice(0, 4).join(", ")})` : ""
      }${o.independent ? ` · independent check ${o.independent}` : ""}`
      : "";
    console.log(`${o.pass ? "pass    " : "FAIL    "} ${o.id.padEnd(28)} ${repro}${q}`);
  }
}));
outcomes.sort((a, b) =>
  mutations.findIndex((m) => m.id === a.id) - mutations.findIndex((m) => m.id === b.id)
);
await writeJsonAtomic(join(PROJECT_ROOT, "reports", "mutations.json"), outcomes);
const failed = outcomes.filter((o) => !o.pass);
const count = (f: (o: Outcome) => boolean) => outcomes.filter(f).length;
console.log(
  `\n${outcomes.length} planted bugs: ${
    count((o) => o.flagged)
  } flagged by the reproducibility layer; ` +
    `${
      count((o) => o.quality.startsWith("refused by the single"))
    } refused by the single-run gate, ` +
    `${count((o) => o.quality.startsWith("refused by the sweep"))} only by the sweep gate, ` +
    `${count((o) => o.quality.startsWith("refused: the run stopped"))} stopped by the run itself ` +
    "(every sample diverged), " +
    `${count((o) => o.ran === "ran" && o.quality === "accepted")} accepted by the quality layer; ` +
    `${
      count((o) => o.ran !== "ran")
    } crashed or failed to compile. Results: reports/mutations.json`,
);
if (failed.length) {
  console.error(`failed: ${failed.map((o) => o.id).join(", ")}`);
  Deno.exit(1);
}
