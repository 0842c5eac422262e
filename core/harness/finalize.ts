/**
 * Finishing a site from its runs' summaries: the sweep pages (spread of every metric across a
 * sweep's runs), the index and `summary.json`. A serial run and a merge of shards call this with
 * the same summaries in the same order, so both produce the same site.
 */
import { join } from "node:path";
import type { AnyExperiment, RunProfile } from "./experiment.ts";
import { metricSpec } from "./experiment.ts";
import type { Selection, Shard } from "./plan.ts";
import { stageDirectory, writeFileAtomic, writeJsonAtomic } from "../runtime/io.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
import { renderSvg } from "../report/render.ts";
import { type Row, sweepChart } from "../report/charts.ts";
import { indexPage, type IndexRow, sweepPage } from "../report/site.ts";

/** One run's outcome, as the summary table, the index and the merge use it. */
export interface RunSummary {
  name: string;
  title: string;
  /** "" for a profile's single run; the grid point in a sweep. */
  runId: string;
  /** Output folder relative to the site root. */
  folder: string;
  profile: RunProfile;
  seed: number;
  configHash: string;
  wallSeconds: number;
  metrics: Record<string, number>;
  headline: string[];
  verdict: string;
  failing: string[];
  error?: string;
  /** Chart shown in the index, relative to the site root. */
  thumbnail?: string;
  /** Live tensors after the run (must equal the count before it: no leak). */
  tensorsAfter?: number;
}

/** What a site's summary.json records besides its runs. */
export interface SiteMeta {
  commit: string | null;
  generated: string;
  peakRssMiB: number;
  selection: Selection;
  /** Keys of every run of the selection, in plan order (a shard ran only some). */
  plan: string[];
  shard?: Shard;
  versions: Record<string, string>;
}

const SEVERITY = [
  "failed",
  "regressed",
  "changed",
  "no golden",
  "not compared",
  "within tolerance",
  "bit-exact",
  "updated",
];

function worst(verdicts: string[]): string {
  return verdicts.reduce((a, b) => (SEVERITY.indexOf(b) < SEVERITY.indexOf(a) ? b : a), "updated");
}

function stats(values: number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const min = Math.min(...values), max = Math.max(...values);
  // Equal values have no spread (the rounding of their sum must not invent one).
  const std = n > 1 && min !== max
    ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1))
    : 0;
  return { mean: min === max ? min : mean, std, min, max, n };
}

/** Write the sweep pages, the index and summary.json of the site in `outDir`. */
export async function finalizeSite(
  outDir: string,
  summaries: RunSummary[],
  experiments: AnyExperiment[],
  meta: SiteMeta,
): Promise<void> {
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
      });
      await writeFileAtomic(
        join(stage.dir, "index.html"),
        sweepPage({
          name,
          title: exp?.title ?? name,
          description: exp?.description ?? "",
          base: exp?.sweep?.base ?? "",
          metrics,
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
    const failingRuns = runs.filter((r) => ["failed", "regressed", "changed"].includes(r.verdict))
      .map((r) => r.runId);
    rows.push({
      name,
      title: `${exp?.title ?? name} (${runs.length}-run sweep)`,
      profile: "sweep",
      verdict: worst(runs.map((r) => r.verdict)),
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
    experiments: summaries,
  });
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
