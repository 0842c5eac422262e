/**
 * Merging shards: the folders of `reproduce --shard i/n` runs become one report site, laid out as a
 * serial run's, with one golden verdict. Shards merge only when they are the parts of one plan:
 * same commit, selection (profile, experiments, seed, overrides) and versions, every shard of the
 * count exactly once, every planned run in exactly one shard, whole or split (`shard.ts`: each of its
 * parts in exactly one shard; the merge then assembles the run from the parts' outputs, as the
 * serial run does, so its folder is the same bytes).
 */
import { join, relative } from "node:path";
import type { AnyExperiment } from "./experiment.ts";
import { finalizeSite, type RunSummary, type SiteMeta } from "./finalize.ts";
import { type Plan, plan as planRuns, runKey, type Selection } from "./plan.ts";
import { loadGoldens, summaryTable } from "./runner.ts";
import type { PartOutput } from "./experiment.ts";
import { failedSummary, runRunJob } from "./job.ts";
import { readShardPart, type ShardPartEntry } from "./shard_parts.ts";
import { gitCommit, runtimeVersions } from "./provenance.ts";
import { isFailing } from "./golden.ts";
import { canonicalJson, stageDirectory } from "../runtime/io.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { checkRead, SandboxError } from "../runtime/sandbox.ts";

/** Shards that cannot be merged: the message says which folder and why. */
export class MergeError extends Error {
  override name = "MergeError";
}

/** A shard folder's summary.json. */
interface ShardSummary extends SiteMeta {
  profile: string;
  experiments: RunSummary[];
}

async function readShard(dir: string, root: string): Promise<ShardSummary> {
  const where = relative(root, dir) || dir;
  let text: string;
  try {
    text = await Deno.readTextFile(checkRead(join(dir, "summary.json"), "shard summary"));
  } catch (e) {
    if (e instanceof SandboxError) throw new MergeError(`${where}: ${e.message}`);
    throw new MergeError(`${where}: no summary.json (not the --out folder of a finished shard)`);
  }
  let s: ShardSummary;
  try {
    s = JSON.parse(text);
  } catch {
    throw new MergeError(`${where}: summary.json is not valid JSON (truncated or corrupt)`);
  }
  if (typeof s !== "object" || s === null || Array.isArray(s)) {
    throw new MergeError(`${where}: summary.json is not a JSON object`);
  }
  if (!s.shard) {
    throw new MergeError(`${where}: not a shard (its run had no --shard); nothing to merge`);
  }
  const shardOk = typeof s.shard === "object" && Number.isSafeInteger(s.shard.index) &&
    Number.isSafeInteger(s.shard.count) && s.shard.index >= 0 && s.shard.index < s.shard.count;
  if (!shardOk) throw new MergeError(`${where}: summary.json has no valid shard index and count`);
  if (
    !Array.isArray(s.plan) || !s.plan.every((k) => typeof k === "string") ||
    !Array.isArray(s.experiments) || typeof s.selection !== "object" || s.selection === null
  ) {
    throw new MergeError(`${where}: summary.json lacks the plan or selection (an older harness?)`);
  }
  if (s.parts !== undefined && !Array.isArray(s.parts)) {
    throw new MergeError(`${where}: summary.json's parts is not a list`);
  }
  for (const e of s.parts ?? []) {
    const ok = typeof e === "object" && e !== null && typeof e.run === "string" &&
      typeof e.folder === "string" && typeof e.part === "string" &&
      Number.isFinite(e.seconds) && (typeof e.error === "string" || typeof e.sha256 === "string");
    if (!ok) throw new MergeError(`${where}: summary.json has a malformed part entry`);
  }
  for (const e of s.experiments) {
    const ok = typeof e === "object" && e !== null && typeof e.name === "string" &&
      typeof e.runId === "string" && typeof e.folder === "string" &&
      typeof e.verdict === "string" &&
      !e.folder.split("/").includes("..") && typeof e.metrics === "object" && e.metrics !== null;
    if (!ok) throw new MergeError(`${where}: summary.json has a malformed run entry`);
  }
  return s;
}

/** The first field (of the named ones) where two shards differ, as "field: a vs b". */
function differs(a: ShardSummary, b: ShardSummary): string | null {
  const fields: [string, unknown, unknown][] = [
    ["commit", a.commit, b.commit],
    ["selection (profile, experiments, seed, --set overrides)", a.selection, b.selection],
    ["versions", a.versions, b.versions],
    ["shard count", a.shard!.count, b.shard!.count],
    ["plan", a.plan, b.plan],
  ];
  for (const [name, x, y] of fields) {
    if (canonicalJson(x) !== canonicalJson(y)) {
      const show = (v: unknown) => {
        const t = JSON.stringify(v);
        return t.length > 120 ? t.slice(0, 117) + "..." : t;
      };
      return `${name}: ${show(x)} vs ${show(y)}`;
    }
  }
  return null;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/**
 * Check the shards, then write the merged site into `outDir`: each run's folder copied as it is
 * (atomically, folder by folder), then the assets, sweep pages, index and summary.json written from
 * the runs' summaries in plan order, exactly as a serial run writes them.
 */
export async function merge(o: {
  root: string;
  shardDirs: string[];
  outDir: string;
  experiments: AnyExperiment[];
  ci?: boolean;
  print?: boolean;
}): Promise<{ summaries: RunSummary[]; exitCode: number }> {
  if (o.shardDirs.length === 0) throw new MergeError("no shard folders given");
  const shards = [];
  for (const dir of o.shardDirs) {
    if (relative(dir, o.outDir) === "" || !relative(dir, o.outDir).startsWith("..")) {
      throw new MergeError(
        `--out ${relative(o.root, o.outDir)} lies in the shard folder ${relative(o.root, dir)}`,
      );
    }
    shards.push({ dir, s: await readShard(dir, o.root) });
  }
  const name = (d: string) => relative(o.root, d) || d;
  const first = shards[0];
  for (const x of shards.slice(1)) {
    const d = differs(first.s, x.s);
    if (d) {
      throw new MergeError(
        `${name(first.dir)} and ${name(x.dir)} are not shards of one run: they differ in ${d}`,
      );
    }
  }
  const count = first.s.shard!.count;
  const byIndex = new Map<number, string>();
  for (const { dir, s } of shards) {
    const other = byIndex.get(s.shard!.index);
    if (other) {
      throw new MergeError(
        `shard ${s.shard!.index + 1}/${count} given twice: ${name(other)} and ${name(dir)}`,
      );
    }
    byIndex.set(s.shard!.index, dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new MergeError(
      `missing shard${missing.length > 1 ? "s" : ""} ${
        missing.map((i) => `${i + 1}/${count}`).join(", ")
      }` +
        ` (given: ${
          [...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i + 1}/${count}`).join(", ")
        })`,
    );
  }
  // Every planned run in exactly one shard.
  const found = new Map<string, { dir: string; summary: RunSummary }>();
  for (const { dir, s } of shards) {
    for (const summary of s.experiments) {
      const key = runKey(summary);
      const other = found.get(key);
      if (other) {
        throw new MergeError(`run ${key} is in two shards: ${name(other.dir)} and ${name(dir)}`);
      }
      found.set(key, { dir, summary });
    }
  }
  // Split runs: every part in exactly one shard, the run whole in none.
  const split = new Map<string, Map<string, { dir: string; entry: ShardPartEntry }>>();
  for (const { dir, s } of shards) {
    for (const entry of s.parts ?? []) {
      const whole = found.get(entry.run);
      if (whole) {
        throw new MergeError(
          `run ${entry.run} is whole in ${name(whole.dir)} and split in ${name(dir)}`,
        );
      }
      let parts = split.get(entry.run);
      if (!parts) split.set(entry.run, parts = new Map());
      const other = parts.get(entry.part);
      if (other) {
        throw new MergeError(
          `part ${entry.part} of run ${entry.run} is in two shards: ${name(other.dir)} and ${
            name(dir)
          }`,
        );
      }
      parts.set(entry.part, { dir, entry });
    }
  }
  const plan = first.s.plan;
  const absent = plan.filter((k) => !found.has(k) && !split.has(k));
  if (absent.length) {
    throw new MergeError(`runs of the plan in no shard: ${absent.join(", ")}`);
  }
  const extra = [...found.keys(), ...split.keys()].filter((k) => !plan.includes(k));
  if (extra.length) {
    throw new MergeError(`runs in a shard but not in the plan: ${extra.join(", ")}`);
  }
  const assemblies = await splitRuns(o.root, o.experiments, first.s, split, name);

  const summaries: RunSummary[] = new Array(plan.length);
  for (const [i, k] of plan.entries()) {
    const whole = found.get(k);
    if (!whole) continue;
    const { dir, summary } = whole;
    summaries[i] = summary;
    if (summary.error && summary.verdict === "failed") {
      // A failed run wrote no folder; the index reports its error.
      try {
        await Deno.stat(join(dir, summary.folder, "metrics.json"));
      } catch {
        continue;
      }
    }
    const stage = await stageDirectory(join(o.outDir, summary.folder));
    try {
      await copyTree(join(dir, summary.folder), stage.dir);
      stage.commit();
    } catch (e) {
      stage.abort();
      throw new MergeError(`${name(dir)}: cannot copy run ${k}: ${(e as Error).message}`);
    }
  }
  for (const a of assemblies) {
    summaries[plan.indexOf(runKey(a.plan))] = await a.run({ ...o, commit: first.s.commit });
  }
  await writeSiteAssets(o.outDir);
  const sweeps = await finalizeSite(o.outDir, summaries, o.experiments, {
    root: o.root,
    commit: first.s.commit,
    generated: new Date().toISOString(),
    peakRssMiB: Math.max(...shards.map(({ s }) => s.peakRssMiB)),
    selection: first.s.selection,
    plan,
    versions: first.s.versions,
  });
  const exitCode = summaries.some((s) => isFailing(s.verdict, o.ci ?? false)) ||
      sweeps.some((s) => s.verdict === "regressed")
    ? 1
    : 0;
  if (o.print ?? true) {
    console.log(
      `merged ${count} shards: ${plan.length} runs into ${name(o.outDir)}/` +
        (assemblies.length ? ` (${assemblies.length} assembled from their shards' parts)` : "") +
        "\n",
    );
    console.log(summaryTable(summaries));
    for (const s of sweeps) {
      console.log(`sweep ${s.name}: ${s.verdict}${s.detail ? ` (${s.detail})` : ""}`);
    }
  }
  return { summaries, exitCode };
}

/** A split run, checked and loaded: `run` assembles it into the merged site. */
interface Assembly {
  plan: Plan;
  run(
    o: { root: string; outDir: string; ci?: boolean; commit: string | null },
  ): Promise<RunSummary>;
}

/**
 * The split runs' plans (planned again from the shards' selection) with their parts' outputs read
 * back, everything checked before anything is written: each run's parts are exactly its plan's,
 * in its plan's folder, and every output file is the one its shard listed.
 */
async function splitRuns(
  root: string,
  experiments: AnyExperiment[],
  shard: { selection: Selection; commit: string | null; versions: Record<string, string> },
  split: Map<string, Map<string, { dir: string; entry: ShardPartEntry }>>,
  name: (dir: string) => string,
): Promise<Assembly[]> {
  if (split.size === 0) return [];
  // The merge assembles with its own code and runtime: they must be the shards'.
  const commit = await gitCommit(root);
  if (commit !== shard.commit) {
    throw new MergeError(
      `split runs are assembled by this checkout, which is at ${commit ?? "no commit"}; the ` +
        `shards ran at ${shard.commit ?? "no commit"}: merge from the shards' commit`,
    );
  }
  const versions = await runtimeVersions(root);
  const changed = Object.keys({ ...versions, ...shard.versions })
    .filter((k) => versions[k] !== shard.versions[k]);
  if (changed.length) {
    throw new MergeError(
      `split runs are assembled by this runtime, whose ${changed.join(", ")} differ from the ` +
        `shards' (${changed.map((k) => `${shard.versions[k]} vs ${versions[k]}`).join(", ")})`,
    );
  }
  const selection = shard.selection;
  const chosen = selection.experiments.map((n) => {
    const e = experiments.find((e) => e.name === n);
    if (!e) {
      throw new MergeError(`the shards ran experiment ${n}, which this project does not have`);
    }
    return e;
  });
  const plans = await planRuns(root, chosen, selection.profile, {
    sweep: selection.sweep,
    seed: selection.seed,
    overrides: selection.overrides,
  });
  const goldens = await loadGoldens(root, plans.filter((p) => split.has(runKey(p))));
  const out: Assembly[] = [];
  for (const p of plans) {
    const key = runKey(p);
    const found = split.get(key);
    if (!found) continue;
    const unknown = [...found.keys()].filter((q) => !p.parts.includes(q));
    if (unknown.length) {
      throw new MergeError(
        `run ${key} has no part ${unknown[0]} (its parts: ${p.parts.join(", ")})`,
      );
    }
    const missing = p.parts.filter((q) => !found.has(q));
    if (missing.length) {
      throw new MergeError(`parts of run ${key} in no shard: ${missing.join(", ")}`);
    }
    const outputs: Record<string, PartOutput> = {};
    const seconds: Record<string, number> = {};
    const phases: Record<string, Record<string, number>> = {};
    const errors: string[] = [];
    for (const q of p.parts) {
      const { dir, entry } = found.get(q)!;
      if (entry.folder !== p.folder) {
        throw new MergeError(`${name(dir)}: part ${q} of run ${key} is not in folder ${p.folder}`);
      }
      seconds[q] = entry.seconds;
      if (entry.error !== undefined) {
        errors.push(`part ${q}: ${entry.error}`);
        continue;
      }
      try {
        outputs[q] = await readShardPart(dir, entry);
      } catch (e) {
        throw new MergeError(`${name(dir)}: ${(e as Error).message}`);
      }
      phases[q] = entry.phases ?? {};
    }
    const golden = goldens.get(p.goldenFile) ?? null;
    out.push({
      plan: p,
      run: (o) => {
        if (errors.length) {
          const total = Object.values(seconds).reduce((a, b) => a + b, 0);
          return Promise.resolve(failedSummary(p, p.exp.title, errors.join("; "), total));
        }
        const options = { root: o.root, outDir: o.outDir, ci: o.ci, progress: "silent" as const };
        return runRunJob(p, options, o.commit, golden, outputs, seconds, phases);
      },
    });
  }
  return out;
}
