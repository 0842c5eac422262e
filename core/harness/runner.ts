/**
 * The runner: plan every run (configs validated before any work), start the backend, run each
 * planned run, write its folder atomically (metrics.json, timing.json, files, chart specs and SVGs,
 * page), check it against its golden; then finish the site (sweep pages, index, summary.json) and
 * print the summary table. With a shard, only that shard's part of the plan runs; `merge` joins
 * the shards' folders into the site a serial run writes.
 */
import { join, relative } from "node:path";
import { type AnyExperiment, metricSpec, type RunOutput, type RunProfile } from "./experiment.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import {
  compareGolden,
  FAILING_VERDICTS,
  formatDiff,
  type GoldenReport,
  makeGolden,
  readGolden,
} from "./golden.ts";
import { gitCommit, runtimeVersions } from "./provenance.ts";
import { beginCheckpointing, endCheckpointing } from "./checkpoint.ts";
import { costModel, partition, type Plan, plan, runKey, type Shard } from "./plan.ts";
import { finalizeSite, type RunSummary } from "./finalize.ts";
import { type BackendInfo, initBackend } from "../runtime/backend.ts";
import { Streams } from "../runtime/random.ts";
import { sha256, stageDirectory, writeFileAtomic, writeJsonAtomic } from "../runtime/io.ts";
import { renderSvg } from "../report/render.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { peakMemoryMiB, sampleMemory } from "./memory.ts";
import * as tf from "@tensorflow/tfjs";
import { experimentPage, type PageChart, type PageMetric } from "../report/site.ts";

export type { RunSummary };

/** What to run and how. */
export interface ReproduceOptions {
  /** Project root (holds `fixtures/`). */
  root: string;
  /** Folder the outputs go to (`reports/` or a folder under it). */
  outDir: string;
  experiments: AnyExperiment[];
  profile: RunProfile;
  /** Seed override; each experiment's own seed otherwise. */
  seed?: number;
  /** Config overrides: experiment name -> dotted field path -> value. */
  overrides?: Record<string, Record<string, unknown>>;
  /** Run only this part of the plan (its folder is then one shard of a `merge`). */
  shard?: Shard;
  updateGolden?: boolean;
  /** Under CI a missing golden fails the run. */
  ci?: boolean;
  progress?: ProgressMode;
  /** Print the summary table (default true). */
  print?: boolean;
  /** Number of Deno workers (0: run in this thread). */
  workers?: number;
  /** URL of the worker entry module (experiments/worker.ts), needed when workers > 0. */
  workerModule?: string;
  /** Testing hook: pause this long after each file written into a staging folder (0: none). */
  writeDelayMs?: number;
  /** Continue training runs from the checkpoints of an interrupted run. */
  resume?: boolean;
  /** Steps between checkpoints of a training run (default 1000). */
  checkpointEvery?: number;
}

function checkMetrics(name: string, out: RunOutput, specs: AnyExperiment["metrics"]): void {
  for (const [k, v] of Object.entries(out.metrics)) {
    if (!metricSpec(specs, k)) throw new Error(`${name}: metric "${k}" has no MetricSpec`);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(`${name}: metric "${k}" is ${v}, not a finite number`);
    }
  }
}

function toleranceText(t: { abs?: number; rel?: number }): string {
  const parts = [];
  if (t.abs !== undefined) parts.push(`±${t.abs}`);
  if (t.rel !== undefined) parts.push(`±${t.rel * 100}%`);
  return parts.join(" + ") || "exact";
}

/** The golden check of a finished run (or the golden's update). */
async function checkGolden(
  p: Plan,
  o: WorkerOptions,
  out: RunOutput,
  samplesSha256: string | null,
): Promise<GoldenReport> {
  const { exp } = p;
  const where = relative(o.root, p.goldenFile);
  if (o.updateGolden) {
    const g = makeGolden(
      exp.name,
      p.baseProfile,
      p.seed,
      p.configHash,
      samplesSha256,
      out.metrics,
      exp.metrics,
    );
    await writeJsonAtomic(p.goldenFile, g);
    return { verdict: "updated", reason: `wrote ${where}`, checks: [] };
  }
  const g = await readGolden(p.goldenFile);
  if (!g) return { verdict: "no golden", reason: `no ${where}`, checks: [] };
  if (g.seed !== p.seed) {
    return {
      verdict: "not compared",
      reason: `the golden is for seed ${g.seed}, this run used ${p.seed}`,
      checks: [],
    };
  }
  if (g.configHash !== p.configHash) {
    return {
      verdict: "not compared",
      reason: "the config differs from the golden's (overridden fields)",
      checks: [],
    };
  }
  return compareGolden(g, out.metrics, samplesSha256);
}

/** Run one planned run and write its folder; never throws for a failed run. */
async function runOne(
  p: Plan,
  o: WorkerOptions,
  backend: BackendInfo,
  commit: string | null,
): Promise<RunSummary> {
  const { exp } = p;
  const label = runKey(p);
  const base = {
    name: exp.name,
    title: exp.title,
    runId: p.runId,
    folder: p.folder,
    profile: p.baseProfile,
    seed: p.seed,
    configHash: p.configHash,
    headline: Object.entries(exp.metrics).filter(([, s]) => s.headline).map(([k]) => k),
  };
  const progress = createProgress(label, o.progress ?? "lines");
  const start = performance.now();
  let out: RunOutput;
  beginCheckpointing({
    dir: join(o.outDir, ".checkpoints", p.folder.replaceAll("/", "__")),
    every: o.checkpointEvery ?? 1000,
    resume: o.resume ?? false,
    identity: {
      experiment: label,
      profile: p.baseProfile,
      seed: p.seed,
      configHash: p.configHash,
    },
  });
  try {
    out = await exp.run({
      config: p.config,
      profile: p.baseProfile,
      seed: p.seed,
      streams: new Streams(p.seed),
      progress,
    });
    checkMetrics(exp.name, out, exp.metrics);
  } catch (e) {
    endCheckpointing(false);
    const err = e as Error;
    console.error(`\n[${label}] FAILED: ${err.message}`);
    if (!(err.name === "DivergenceError" || err.name === "MetricInputError")) {
      console.error(err.stack?.split("\n").slice(1, 6).join("\n"));
    }
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      ...base,
      wallSeconds,
      metrics: {},
      verdict: "failed",
      failing: [],
      error: err.message,
    };
  }
  const wallSeconds = (performance.now() - start) / 1000;
  // Headline metrics: the flagged keys, with a `prefix*` key standing for every metric it covers.
  base.headline = Object.keys(out.metrics).filter((k) => metricSpec(exp.metrics, k)?.headline);
  const samples = out.files.find((f) => f.name === "samples.csv");
  const samplesSha256 = samples ? await sha256(samples.content) : null;

  const golden = await checkGolden(p, o, out, samplesSha256);
  const failing = golden.checks.filter((c) => !c.ok).map((c) => c.metric);
  if (FAILING_VERDICTS.includes(golden.verdict as never)) {
    console.error(`\n[${label}] golden check: ${golden.verdict}\n${formatDiff(golden)}`);
  }

  // Write the run's folder as a whole. Everything but timing.json and the page's timing section is
  // a function of the code, config and seed: the same bytes from any worker, shard or machine.
  const final = join(o.outDir, p.folder);
  const stage = await stageDirectory(final);
  try {
    const timing = {
      date: new Date().toISOString(),
      wallSeconds,
      phases: progress.timings(),
      measured: out.timings ?? {},
    };
    const metricsJson = {
      experiment: exp.name,
      title: exp.title,
      runId: p.runId,
      profile: p.baseProfile,
      seed: p.seed,
      configHash: p.configHash,
      config: p.config,
      metrics: out.metrics,
      details: out.details ?? {},
      provenance: { versions: backend, gitCommit: commit, samplesSha256 },
    };
    const pause = () =>
      o.writeDelayMs ? new Promise((r) => setTimeout(r, o.writeDelayMs)) : Promise.resolve();
    await writeJsonAtomic(join(stage.dir, "metrics.json"), metricsJson);
    await writeJsonAtomic(join(stage.dir, "timing.json"), timing);
    await pause();
    for (const f of out.files) {
      await writeFileAtomic(join(stage.dir, f.name), f.content);
      await pause();
    }
    const charts: PageChart[] = [], timingCharts: PageChart[] = [];
    for (const c of out.charts) {
      const name = c.timing ? `timing-${c.name}` : c.name;
      const svg = await renderSvg(c.spec);
      await writeJsonAtomic(join(stage.dir, `${name}.vl.json`), c.spec);
      await writeFileAtomic(join(stage.dir, `${name}.svg`), svg);
      await pause();
      (c.timing ? timingCharts : charts).push({
        name,
        title: c.title,
        caption: c.caption,
        spec: c.spec,
      });
    }
    const checkOf = new Map(golden.checks.map((c) => [c.metric, c]));
    const metrics: PageMetric[] = Object.entries(out.metrics).map(([name, value]) => {
      const spec = metricSpec(exp.metrics, name)!;
      const c = checkOf.get(name);
      return {
        name,
        value,
        description: spec.description,
        unit: spec.unit,
        better: spec.better,
        golden: c?.golden,
        tolerance: toleranceText(spec.tolerance),
        status: c ? (c.ok ? "ok" : "out") : undefined,
      };
    });
    const html = experimentPage({
      name: exp.name,
      title: p.runId ? `${exp.title}: ${p.runId}` : exp.title,
      description: exp.description,
      profile: p.runId ? `sweep run of ${p.baseProfile}` : p.baseProfile,
      verdict: golden.verdict,
      verdictDetail: golden.reason ??
        (failing.length ? `out of tolerance: ${failing.join(", ")}` : undefined),
      metrics,
      charts,
      notes: out.notes ?? [],
      files: ["metrics.json", "timing.json", ...out.files.map((f) => f.name)],
      config: p.config,
      root: "../".repeat(p.folder.split("/").length),
      provenance: {
        seed: p.seed,
        "config hash": p.configHash,
        "git commit": commit ?? "not a git checkout",
        deno: backend.deno,
        tfjs: backend.tfjs,
        backend: `${backend.backend} (SIMD ${
          backend.simd ? "on" : "off"
        }, ${backend.threads} thread)`,
        "samples.csv sha256": samplesSha256 ?? "–",
      },
      timing: {
        date: timing.date,
        "wall time": `${wallSeconds.toFixed(1)} s`,
        phases: Object.entries(timing.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", "),
      },
      timingCharts,
    });
    await writeFileAtomic(join(stage.dir, "index.html"), html);
    stage.commit();
    endCheckpointing(true);
    return {
      ...base,
      wallSeconds,
      metrics: out.metrics,
      verdict: golden.verdict,
      failing,
      thumbnail: thumbnailOf(p.folder, out.charts),
    };
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/** Does this verdict fail the run? */
export function isFailure(s: RunSummary, ci: boolean): boolean {
  return s.verdict === "failed" || FAILING_VERDICTS.includes(s.verdict as never) ||
    (ci && s.verdict === "no golden");
}

/** A plan as it crosses to a worker: plain data (the worker looks the experiment up by name). */
export type PlanMessage = Omit<Plan, "exp"> & { name: string };

/** The options a worker needs: plain data, no functions. */
export type WorkerOptions = Omit<ReproduceOptions, "experiments" | "workerModule" | "workers">;

/**
 * Run one planned run in this thread's tfjs, checking that it leaves no tensor behind (a leak
 * fails the run).
 */
export async function runChecked(
  p: Plan,
  o: WorkerOptions,
  commit: string | null,
): Promise<RunSummary> {
  const backend = await initBackend();
  const before = tf.memory().numTensors;
  const s = await runOne(p, o, backend, commit);
  s.tensorsAfter = tf.memory().numTensors;
  if (s.tensorsAfter !== before && !s.error) {
    s.error = `tensor leak: ${before} live tensors before the run, ${s.tensorsAfter} after`;
    s.verdict = "failed";
    console.error(`\n[${runKey(s)}] ${s.error}`);
  }
  return s;
}

const activeWorkers = new Set<Worker>();

/** Stop every worker of this process at once (interrupts: V8 stops even a tight loop). */
export function terminateWorkers(): void {
  for (const w of activeWorkers) w.terminate();
  activeWorkers.clear();
}

/** Run the plans on `n` workers, each with its own tfjs, longest first; results in plan order. */
async function runInWorkers(
  plans: Plan[],
  o: ReproduceOptions,
  commit: string | null,
  n: number,
  cost: (key: string) => number,
): Promise<RunSummary[]> {
  const results: RunSummary[] = new Array(plans.length);
  const queue = plans.map((_, i) => i).sort((a, b) =>
    cost(runKey(plans[b])) - cost(runKey(plans[a])) || a - b
  );
  const options: WorkerOptions = {
    root: o.root,
    outDir: o.outDir,
    profile: o.profile,
    updateGolden: o.updateGolden,
    ci: o.ci,
    progress: n > 1 && o.progress === "bar" ? "lines" : o.progress,
    writeDelayMs: o.writeDelayMs,
    resume: o.resume,
    checkpointEvery: o.checkpointEvery,
  };
  const run = (worker: Worker, i: number) =>
    new Promise<void>((resolve) => {
      const { exp, ...rest } = plans[i];
      const message: PlanMessage = { ...rest, name: exp.name };
      worker.onmessage = (e) => {
        results[i] = e.data;
        resolve();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        results[i] = {
          name: exp.name,
          title: exp.title,
          runId: rest.runId,
          folder: rest.folder,
          profile: rest.baseProfile,
          seed: rest.seed,
          configHash: rest.configHash,
          wallSeconds: 0,
          metrics: {},
          headline: [],
          verdict: "failed",
          failing: [],
          error: `worker crashed: ${e.message}`,
        };
        resolve();
      };
      worker.postMessage({ plan: message, options, commit });
    });
  const workers = Array.from({ length: Math.min(n, plans.length) }, () => {
    const w = new Worker(o.workerModule!, { type: "module" });
    activeWorkers.add(w);
    return w;
  });
  const sampler = setInterval(sampleMemory, 200);
  try {
    await Promise.all(workers.map(async (w) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await run(w, i);
    }));
  } finally {
    clearInterval(sampler);
    for (const w of workers) {
      w.terminate();
      activeWorkers.delete(w);
    }
  }
  return results;
}

/**
 * Run the planned runs (or a shard's part of them), on `workers` Deno workers (each with its own
 * tfjs; runs are independent, so results do not depend on the number of workers) or, with 0, in
 * this thread; then finish the site. Returns the summaries and the exit code (0 or 1).
 */
export async function reproduce(
  o: ReproduceOptions,
): Promise<{ summaries: RunSummary[]; exitCode: number }> {
  const plans = await plan(o.root, o.experiments, o.profile, o.seed, o.overrides);
  const keys = plans.map(runKey);
  const cost = await costModel(o.root, plans);
  let selected = plans;
  if (o.shard) {
    const mine = new Set(partition(keys, cost, o.shard.count)[o.shard.index]);
    selected = plans.filter((p) => mine.has(runKey(p)));
  }
  await writeSiteAssets(o.outDir);
  const commit = await gitCommit(o.root);
  const workers = o.workers ?? 0;
  let summaries: RunSummary[] = [];
  if (workers > 0 && o.workerModule && selected.length > 0) {
    summaries = await runInWorkers(selected, o, commit, workers, cost);
  } else {
    for (const p of selected) summaries.push(await runChecked(p, o, commit));
  }
  const peakRssMiB = Math.round(peakMemoryMiB());
  await finalizeSite(o.outDir, summaries, o.experiments, {
    commit,
    generated: new Date().toISOString(),
    peakRssMiB,
    selection: {
      profile: o.profile,
      experiments: o.experiments.map((e) => e.name),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(o.overrides && Object.keys(o.overrides).length ? { overrides: o.overrides } : {}),
    },
    plan: keys,
    shard: o.shard,
    versions: await runtimeVersions(o.root),
  });
  if (o.print ?? true) {
    if (o.shard) {
      console.log(
        `\nshard ${o.shard.index + 1}/${o.shard.count}: ${selected.length} of ${plans.length} runs`,
      );
    }
    console.log("\n" + summaryTable(summaries));
    console.log(
      `peak RSS ${peakRssMiB} MiB · live tensors after each run: ${
        summaries.map((s) => s.tensorsAfter).join(", ")
      }`,
    );
  }
  const exitCode = summaries.some((s) => isFailure(s, o.ci ?? false)) ? 1 : 0;
  return { summaries, exitCode };
}

/** The summary table: run, wall time, key metrics, golden verdict. */
export function summaryTable(summaries: RunSummary[]): string {
  const fmt = (v: number) =>
    Number.isInteger(v)
      ? String(v)
      : Math.abs(v) < 1e-3 && v !== 0
      ? v.toExponential(2)
      : v.toPrecision(4);
  const rows = [["run", "wall", "key metrics", "golden"]].concat(summaries.map((s) => [
    runKey(s),
    `${s.wallSeconds.toFixed(1)}s`,
    s.error
      ? `error: ${s.error.slice(0, 60)}`
      : s.headline.filter((h) => h in s.metrics).map((h) => `${h}=${fmt(s.metrics[h])}`).join(" "),
    s.verdict + (s.failing.length ? ` (${s.failing.join(", ")})` : ""),
  ]));
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd();
  return [line(rows[0]), w.map((n) => "-".repeat(n)).join("  "), ...rows.slice(1).map(line)].join(
    "\n",
  );
}

/** Path (from the site root) of the chart shown as a run's thumbnail. */
function thumbnailOf(folder: string, charts: RunOutput["charts"]): string | undefined {
  const shown = charts.filter((c) => !c.timing);
  const c = shown.find((c) => c.thumbnail) ?? shown.find((c) => c.name === "samples") ?? shown[0];
  return c ? `${folder}/${c.name}.svg` : undefined;
}
