/**
 * Merging shards: the folders of `reproduce --shard i/n` runs become one report site, laid out as a
 * serial run's, with one golden verdict. Shards merge only when they are the parts of one plan:
 * same commit, selection (profile, experiments, seed, overrides) and versions, every shard of the
 * count exactly once, every planned run in exactly one shard.
 */
import { join, relative } from "node:path";
import type { AnyExperiment } from "./experiment.ts";
import { finalizeSite, type RunSummary, type SiteMeta } from "./finalize.ts";
import { runKey } from "./plan.ts";
import { summaryTable } from "./runner.ts";
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
  const plan = first.s.plan;
  const absent = plan.filter((k) => !found.has(k));
  if (absent.length) {
    throw new MergeError(`runs of the plan in no shard: ${absent.join(", ")}`);
  }
  const extra = [...found.keys()].filter((k) => !plan.includes(k));
  if (extra.length) {
    throw new MergeError(`runs in a shard but not in the plan: ${extra.join(", ")}`);
  }

  const summaries = plan.map((k) => found.get(k)!.summary);
  for (const k of plan) {
    const { dir, summary } = found.get(k)!;
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
    console.log(`merged ${count} shards: ${plan.length} runs into ${name(o.outDir)}/\n`);
    console.log(summaryTable(summaries));
    for (const s of sweeps) {
      console.log(`sweep ${s.name}: ${s.verdict}${s.detail ? ` (${s.detail})` : ""}`);
    }
  }
  return { summaries, exitCode };
}
