/**
 * Finishing a site from its runs' summaries: the sweep pages (spread of every metric across a
 * sweep's runs), the index and `summary.json`. A serial run and a merge of shards call this with
 * the same summaries in the same order, so both produce the same site.
 */
import { join } from "node:path";
import type { AnyExperiment, ProfileName } from "./experiment.ts";
import { metricSpec } from "../spec/metrics.ts";
import { runKey, type Selection, type Shard } from "./plan.ts";
import type { ShardPartEntry } from "./shard_parts.ts";
import { partGraph, partSpan } from "./parts.ts";
import { goldenPath, isFailing, readGolden, worstVerdict } from "./golden.ts";
import { judgeSweep, type QualityJudgement } from "./gate.ts";
import { summary } from "../metrics/statistics.ts";
import { stageDirectory, writeFileAtomic, writeJsonAtomic } from "../runtime/io.ts";

import { renderSvg } from "../report/render.ts";
import { type Row, sweepChart } from "../report/charts.ts";
import { indexPage, type IndexRow, sweepPage } from "../report/site.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** One run's outcome, as the summary table, the index and the merge use it. */
export interface RunSummary {
  name: string;
  title: string;
  /** "" for a profile's single run; "seed-3" in a sweep. */
  runId: string;
  /** Output folder relative to the site root. */
  folder: string;
  profile: ProfileName;
  seed: number;
  configHash: string;
  /** Seconds of work the run took (its parts and their assembly together). */
  wallSeconds: number;
  /** A run with parts: the seconds of each part, and of the assembly after them. */
  partSeconds?: Record<string, number>;
  assemblySeconds?: number;
  /** The parts that need other parts first, and those parts (when any does). */
  partNeeds?: Record<string, string[]>;
  metrics: Record<string, number>;
  headline: string[];
  /** The golden's seed-to-seed mean and sd of each headline metric (when there is a golden). */
  seedSpread?: Record<string, { mean: number; sd: number; n: number }>;
  /** The golden check's verdict (both layers, see `golden.ts`). */
  verdict: string;
  /** The quality layer's own verdict ("ok", "regressed", "not judged"). */
  quality?: string;
  /** Why this verdict, in one line. */
  detail?: string;
  failing: string[];
  error?: string;
  /** Chart shown in the index, relative to the site root. */
  thumbnail?: string;
  /** Live tensors after the run (must equal the count before it: no leak). */
  tensorsAfter?: number;
  samplesSha256: string | null;
  /** The sha256 of every other output of the run (`outputs.ts`); absent for a failed run. */
  outputsSha256?: Record<string, string>;
  /** Metrics of the degraded samples (golden renewals only). */
  sensitivity?: Record<string, Record<string, number> | null>;
}

/** What a site's summary.json records besides its runs. */
export interface SiteMeta {
  /** Project root: sweeps are judged against its goldens. */
  root: string;
  commit: string | null;
  generated: string;
  peakRssMiB: number;
  selection: Selection;
  /** Keys of every run of the selection, in plan order (a shard ran only some). */
  plan: string[];
  shard?: Shard;
  /** When each job ran, on which worker (absent from a merged site: its shards ran apart). */
  timeline?: Timeline;
  /** The parts a shard ran of split runs (`merge` assembles those runs). */
  parts?: ShardPartEntry[];
  versions: Record<string, string>;
}

/**
 * How the work of some runs spreads: its total, its longest single job (a part, or a run without
 * parts), and its critical path (a run's longest chain of parts, each after the parts it needs,
 * plus its assembly): the least wall time with as many workers as jobs.
 */
export function workSpread(summaries: RunSummary[]): {
  workSeconds: number;
  longestJob: { job: string; seconds: number };
  criticalPath: { run: string; seconds: number };
} {
  let longestJob = { job: "", seconds: 0 }, criticalPath = { run: "", seconds: 0 };
  for (const s of summaries) {
    const parts = Object.entries(s.partSeconds ?? {});
    const jobs: [string, number][] = parts.length
      ? [...parts.map(([k, v]) => [`${runKey(s)}[${k}]`, v] as [string, number]), [
        runKey(s),
        s.assemblySeconds ?? 0,
      ]]
      : [[runKey(s), s.wallSeconds]];
    for (const [job, seconds] of jobs) {
      if (seconds > longestJob.seconds) longestJob = { job, seconds };
    }
    const span = parts.length ? partsSpan(s) + (s.assemblySeconds ?? 0) : s.wallSeconds;
    if (span > criticalPath.seconds) criticalPath = { run: runKey(s), seconds: span };
  }
  return {
    workSeconds: summaries.reduce((a, s) => a + s.wallSeconds, 0),
    longestJob,
    criticalPath,
  };
}

/** One job as it ran: its name, its worker (0 in this thread), its start and end. */
export interface JobSpan {
  job: string;
  worker: number;
  /** Seconds since the process started. */
  start: number;
  end: number;
}

/** When the jobs of one invocation ran (seconds since its process started). */
export interface Timeline {
  workers: number;
  /** Start of the first job: planning, checks and the workers' start-up before it. */
  firstStart: number;
  /** End of the last job. */
  lastEnd: number;
  /** The share of the workers' time between the two that jobs used. */
  busyShare: number;
  spans: JobSpan[];
}

/** The {@link Timeline} of some job spans on `workers` workers (0: this thread, counted as 1). */
export function timelineOf(spans: JobSpan[], workers: number): Timeline | undefined {
  if (!spans.length) return undefined;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const firstStart = Math.min(...spans.map((s) => s.start));
  const lastEnd = Math.max(...spans.map((s) => s.end));
  const busy = spans.reduce((a, s) => a + s.end - s.start, 0);
  return {
    workers,
    firstStart: round(firstStart),
    lastEnd: round(lastEnd),
    busyShare: round(busy / (Math.max(1, workers) * Math.max(lastEnd - firstStart, 1e-9))),
    spans: spans.map((s) => ({ ...s, start: round(s.start), end: round(s.end) })),
  };
}

/** The least wall time of a run's parts (their needs from a summary read back: unknowns dropped). */
function partsSpan(s: RunSummary): number {
  const seconds = s.partSeconds ?? {};
  const known = Object.keys(seconds);
  const needs = Object.fromEntries(
    Object.entries(s.partNeeds ?? {}).filter(([p]) => known.includes(p))
      .map(([p, list]) => [p, list.filter((n) => known.includes(n))]),
  );
  try {
    return partSpan(partGraph(runKey(s), known, needs), seconds);
  } catch {
    return Math.max(...Object.values(seconds));
  }
}

/** The sweep gate's verdict on one experiment's sweep. */
export interface SweepVerdict {
  name: string;
  verdict: "ok" | "regressed" | "not judged";
  detail?: string;
  checks: QualityJudgement["checks"];
}

function stats(values: number[]) {
  const s = summary(values);
  return { mean: s.mean, std: s.sd, min: s.min, max: s.max, n: s.n };
}

/** The sweep gate on one experiment's sweep runs (their golden is the profile's). */
async function judgeSweepRuns(root: string, runs: RunSummary[]): Promise<SweepVerdict> {
  const name = runs[0].name;
  const ok = runs.filter((r) => !r.error);
  if (ok.length < runs.length) {
    return { name, verdict: "regressed", detail: "a run of the sweep failed", checks: [] };
  }
  let golden;
  try {
    golden = await readGolden(goldenPath(root, name, runs[0].profile), name, runs[0].profile, root);
  } catch (e) {
    return { name, verdict: "not judged", detail: (e as Error).message, checks: [] };
  }
  if (!golden) return { name, verdict: "not judged", detail: "no golden", checks: [] };
  if (golden.configHash !== runs[0].configHash) {
    return {
      name,
      verdict: "not judged",
      detail: "the config differs from the golden's",
      checks: [],
    };
  }
  const j = judgeSweep(
    golden,
    ok.map((r) => ({ seed: r.seed, metrics: r.metrics, samplesSha256: r.samplesSha256 })),
  );
  return { name, verdict: j.verdict, detail: j.reason, checks: j.checks };
}

/**
 * Write the sweep pages, the index and summary.json of the site in `outDir`; returns the sweep
 * gate's verdict on each sweep.
 */
export async function finalizeSite(
  outDir: string,
  summaries: RunSummary[],
  experiments: AnyExperiment[],
  meta: SiteMeta,
): Promise<SweepVerdict[]> {
  const sweeps: SweepVerdict[] = [];
  const groups = new Map<string, RunSummary[]>();
  for (const s of summaries) groups.set(s.name, [...(groups.get(s.name) ?? []), s]);
  const rows: IndexRow[] = [];
  for (const [name, runs] of groups) {
    const exp = experiments.find((e) => e.name === name);
    if (runs.length === 1 && runs[0].runId === "") {
      const s = runs[0];
      rows.push({
        name,
        title: s.title,
        profile: s.profile,
        verdict: s.verdict,
        failing: s.failing,
        wallSeconds: s.wallSeconds,
        headline: s.headline.filter((h) => h in s.metrics).map((h) => ({
          name: h,
          value: s.metrics[h],
          seeds: s.seedSpread?.[h],
        })),
        thumbnail: s.thumbnail,
        error: s.error,
      });
      continue;
    }
    // A sweep: the spread of every metric across the runs that produced it.
    const ok = runs.filter((r) => !r.error);
    const names = [...new Set(ok.flatMap((r) => Object.keys(r.metrics)))];
    const metrics = names.map((m) => {
      const values = ok.filter((r) => m in r.metrics).map((r) => r.metrics[m]);
      return {
        name: m,
        description: (exp && metricSpec(exp.metrics, m)?.description) ?? "",
        ...stats(values),
      };
    });
    // The chart shows the metrics that vary across runs; the table lists them all.
    const varying = metrics.filter((m) => m.min !== m.max).map((m) => m.name);
    const chartRows: Row[] = ok.flatMap((r) =>
      varying.filter((m) => m in r.metrics).map((m) => ({
        metric: m,
        seed: r.seed,
        value: r.metrics[m],
        point: r.runId.replace(/^seed-\d+_?/, "") || "seeds",
      }))
    );
    const chart = {
      name: "sweep",
      title: "Every metric across the runs",
      caption:
        "One point per run against its seed (the dashed line is the mean): the spread a single seed " +
        "hides. Metrics equal in every run are in the table only.",
      spec: sweepChart({
        title: `${exp?.title ?? name}: metrics across ${runs.length} runs`,
        rows: chartRows,
        metrics: varying,
      }),
    };
    const headline = runs[0].headline;
    const gate = await judgeSweepRuns(meta.root, runs);
    sweeps.push(gate);
    // The sweep's folder is rebuilt whole: its files are staged, then this selection's run folders
    // move in and the folder replaces the old one (stale files of an earlier run go with it). The
    // moves and the swap are synchronous, so an interrupt cannot land between them.
    const stage = await stageDirectory(join(outDir, name));
    try {
      await writeJsonAtomic(join(stage.dir, "sweep.vl.json"), chart.spec);
      await writeFileAtomic(join(stage.dir, "sweep.svg"), await renderSvg(chart.spec));
      await writeJsonAtomic(join(stage.dir, "aggregate.json"), {
        experiment: name,
        runs: runs.map((r) => ({
          runId: r.runId,
          seed: r.seed,
          verdict: r.verdict,
          metrics: r.metrics,
        })),
        metrics,
        sweepGate: gate,
      });
      await writeFileAtomic(
        join(stage.dir, "index.html"),
        sweepPage({
          name,
          title: exp?.title ?? name,
          description: exp?.description ?? "",
          base: runs[0].profile,
          metrics,
          gate,
          runs: runs.map((r) => ({
            runId: r.runId,
            seed: r.seed,
            verdict: r.verdict,
            failing: r.failing,
            headline: headline.filter((h) => h in r.metrics).map((h) => ({
              name: h,
              value: r.metrics[h],
            })),
          })),
          chart,
        }),
      );
    } catch (e) {
      stage.abort();
      throw e;
    }
    Deno.mkdirSync(join(stage.dir, "runs"));
    for (const r of runs) {
      const from = join(outDir, r.folder);
      if (existsSync(from)) Deno.renameSync(from, join(stage.dir, "runs", r.runId));
    }
    stage.commit();
    const failingRuns = runs.filter((r) => isFailing(r.verdict, false)).map((r) => r.runId);
    rows.push({
      name,
      title: `${exp?.title ?? name} (${runs.length}-seed sweep)`,
      profile: `${runs[0].profile} sweep`,
      verdict: gate.verdict === "regressed"
        ? "regressed"
        : worstVerdict(runs.map((r) => r.verdict)),
      failing: failingRuns,
      wallSeconds: runs.reduce((a, r) => a + r.wallSeconds, 0),
      headline: metrics.filter((m) => headline.includes(m.name)).map((m) => ({
        name: m.name,
        value: m.mean,
        spread: m.std,
      })),
      thumbnail: runs.find((r) => r.thumbnail)?.thumbnail ?? `${name}/sweep.svg`,
    });
  }
  await writeFileAtomic(
    join(outDir, "index.html"),
    indexPage(rows, {
      generated: meta.generated,
      commit: meta.commit,
      bench: await exists(join(outDir, "bench", "index.html")),
    }),
  );
  await writeJsonAtomic(join(outDir, "summary.json"), {
    profile: meta.selection.profile,
    commit: meta.commit,
    versions: meta.versions,
    peakRssMiB: meta.peakRssMiB,
    selection: meta.selection,
    plan: meta.plan,
    ...(meta.shard ? { shard: meta.shard } : {}),
    ...(meta.parts ? { parts: meta.parts } : {}),
    ...(meta.timeline ? { timeline: meta.timeline } : {}),
    work: workSpread(summaries),
    experiments: summaries,
    ...(sweeps.length ? { sweeps } : {}),
  });
  return sweeps;
}

/** Does `path` exist? */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
