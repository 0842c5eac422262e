/**
 * The runner: validate every config before any work, start the backend, run each experiment, write
 * its folder atomically (metrics.json, files, chart specs and SVGs, page), check it against its
 * golden, then write the index and print the summary table.
 */
import { join, relative } from "node:path";
import { type AnyExperiment, metricSpec, type ProfileName, type RunOutput } from "./experiment.ts";
import { ConfigError, validateConfig } from "./schema.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import {
  compareGolden,
  FAILING_VERDICTS,
  formatDiff,
  goldenPath,
  type GoldenReport,
  makeGolden,
  readGolden,
} from "./golden.ts";
import { gitCommit } from "./provenance.ts";
import { beginCheckpointing, endCheckpointing } from "./checkpoint.ts";
import { type BackendInfo, initBackend } from "../runtime/backend.ts";
import { Streams } from "../runtime/random.ts";
import {
  canonicalJson,
  sha256,
  stageDirectory,
  writeFileAtomic,
  writeJsonAtomic,
} from "../runtime/io.ts";
import { renderSvg } from "../report/render.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { peakMemoryMiB, sampleMemory } from "./memory.ts";
import * as tf from "@tensorflow/tfjs";
import { experimentPage, indexPage, type IndexRow, type PageMetric } from "../report/site.ts";

/** What to run and how. */
export interface ReproduceOptions {
  /** Project root (holds `fixtures/`). */
  root: string;
  /** Folder the outputs go to (`reports/` or a folder under it). */
  outDir: string;
  experiments: AnyExperiment[];
  profile: ProfileName;
  /** Seed override; each experiment's own seed otherwise. */
  seed?: number;
  /** Config overrides: experiment name -> dotted field path -> value. */
  overrides?: Record<string, Record<string, unknown>>;
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

/** One experiment's outcome, as the summary table and the index show it. */
export interface ExperimentSummary {
  name: string;
  title: string;
  profile: ProfileName;
  seed: number;
  wallSeconds: number;
  metrics: Record<string, number>;
  headline: string[];
  verdict: string;
  failing: string[];
  error?: string;
  /** Live tensors after the experiment (must equal the count before it: no leak). */
  tensorsAfter?: number;
  /** Peak resident memory of the process so far, MiB. */
  peakRssMiB?: number;
}

/** A planned run: the experiment with its validated config. */
export interface Plan {
  exp: AnyExperiment;
  config: unknown;
  seed: number;
  configHash: string;
}

/** Apply `field.path = value` overrides to a config copy. */
function applyOverrides(
  name: string,
  config: unknown,
  overrides: Record<string, unknown>,
): unknown {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split(".");
    let node: Record<string, unknown> = out;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== "object" || node[k] === null) {
        throw new ConfigError(
          `${name}.${path}`,
          value,
          `a field of the config; "${k}" is not an object`,
        );
      }
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

/** Validate every selected experiment's config (throws ConfigError before any work). */
export async function plan(o: ReproduceOptions): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const exp of o.experiments) {
    const raw = applyOverrides(exp.name, exp.profiles[o.profile], o.overrides?.[exp.name] ?? {});
    const config = validateConfig(exp.name, exp.schema, exp.checks ?? [], raw);
    plans.push({
      exp,
      config,
      seed: o.seed ?? exp.seed,
      configHash: await sha256(canonicalJson(config)),
    });
  }
  return plans;
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

/** Run one planned experiment and write its folder; never throws for a failed run. */
async function runOne(
  p: Plan,
  o: WorkerOptions,
  backend: BackendInfo,
  commit: string | null,
): Promise<{ summary: ExperimentSummary; thumbnail?: string }> {
  const { exp } = p;
  const headlineKeys = Object.entries(exp.metrics).filter(([, s]) => s.headline).map(([k]) => k);
  const base = {
    name: exp.name,
    title: exp.title,
    profile: o.profile,
    seed: p.seed,
    headline: headlineKeys,
  };
  const progress = createProgress(exp.name, o.progress ?? "lines");
  const start = performance.now();
  let out: RunOutput;
  beginCheckpointing({
    dir: join(o.outDir, ".checkpoints", exp.name),
    every: o.checkpointEvery ?? 1000,
    resume: o.resume ?? false,
    identity: { experiment: exp.name, profile: o.profile, seed: p.seed, configHash: p.configHash },
  });
  try {
    out = await exp.run({
      config: p.config,
      profile: o.profile,
      seed: p.seed,
      streams: new Streams(p.seed),
      progress,
    });
    checkMetrics(exp.name, out, exp.metrics);
  } catch (e) {
    endCheckpointing(false);
    const err = e as Error;
    console.error(`\n[${exp.name}] FAILED: ${err.message}`);
    if (!(err.name === "DivergenceError" || err.name === "MetricInputError")) {
      console.error(err.stack?.split("\n").slice(1, 6).join("\n"));
    }
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      summary: {
        ...base,
        wallSeconds,
        metrics: {},
        verdict: "failed",
        failing: [],
        error: err.message,
      },
    };
  }
  const wallSeconds = (performance.now() - start) / 1000;
  // Headline metrics: the flagged keys, with a `prefix*` key standing for every metric it covers.
  base.headline = Object.keys(out.metrics).filter((k) => metricSpec(exp.metrics, k)?.headline);
  const samples = out.files.find((f) => f.name === "samples.csv");
  const samplesSha256 = samples ? await sha256(samples.content) : null;

  // Golden check (or update).
  const gPath = goldenPath(o.root, exp.name, o.profile, p.seed, exp.seed);

  let golden: GoldenReport;
  if (o.updateGolden) {
    await writeJsonAtomic(
      gPath,
      makeGolden(
        exp.name,
        o.profile,
        p.seed,
        p.configHash,
        samplesSha256,
        out.metrics,
        exp.metrics,
      ),
    );
    golden = { verdict: "updated", reason: `wrote ${relative(o.root, gPath)}`, checks: [] };
  } else {
    const g = await readGolden(gPath);
    if (!g) golden = { verdict: "no golden", reason: `no ${relative(o.root, gPath)}`, checks: [] };
    else if (g.seed !== p.seed) {
      golden = {
        verdict: "not compared",
        reason: `the golden is for seed ${g.seed}, this run used ${p.seed}`,
        checks: [],
      };
    } else if (g.configHash !== p.configHash) {
      golden = {
        verdict: "not compared",
        reason: "the config differs from the golden's (overridden fields)",
        checks: [],
      };
    } else golden = compareGolden(g, out.metrics, samplesSha256);
  }
  const failing = golden.checks.filter((c) => !c.ok).map((c) => c.metric);
  if (FAILING_VERDICTS.includes(golden.verdict as never)) {
    console.error(`\n[${exp.name}] golden check: ${golden.verdict}\n${formatDiff(golden)}`);
  }

  // Write the experiment's folder as a whole.
  const final = join(o.outDir, exp.name);
  const stage = await stageDirectory(final);
  try {
    const timing = { date: new Date().toISOString(), wallSeconds, phases: progress.timings() };
    const metricsJson = {
      experiment: exp.name,
      title: exp.title,
      profile: o.profile,
      seed: p.seed,
      configHash: p.configHash,
      config: p.config,
      metrics: out.metrics,
      details: out.details ?? {},
      provenance: { versions: backend, gitCommit: commit, samplesSha256 },
      timing,
    };
    const pause = () => (o.writeDelayMs
      ? new Promise((r) =>
        setTimeout(r, o.writeDelayMs)
      )
      : Promise.resolve());
    await writeJsonAtomic(join(stage.dir, "metrics.json"), metricsJson);
    await pause();
    for (const f of out.files) {
      await writeFileAtomic(join(stage.dir, f.name), f.content);
      await pause();
    }
    const charts = [];
    for (const c of out.charts) {
      const svg = await renderSvg(c.spec);
      await writeJsonAtomic(join(stage.dir, `${c.name}.vl.json`), c.spec);
      await writeFileAtomic(join(stage.dir, `${c.name}.svg`), svg);
      await pause();

      charts.push({ name: c.name, title: c.title, caption: c.caption, spec: c.spec });
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
      title: exp.title,
      description: exp.description,
      profile: o.profile,
      verdict: golden.verdict,
      verdictDetail: golden.reason ??
        (failing.length ? `out of tolerance: ${failing.join(", ")}` : undefined),
      metrics,
      charts,
      notes: out.notes ?? [],
      files: ["metrics.json", ...out.files.map((f) => f.name)],
      config: p.config,
      provenance: {
        seed: p.seed,
        "config hash": p.configHash,
        "git commit": commit ?? "not a git checkout",
        deno: backend.deno,
        tfjs: backend.tfjs,
        backend: `${backend.backend} (SIMD ${
          backend.simd ? "on" : "off"
        }, ${backend.threads} thread)`,
        date: timing.date,
        "wall time": `${wallSeconds.toFixed(1)} s`,
        phases: Object.entries(timing.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", "),
        "samples.csv sha256": samplesSha256 ?? "–",
      },
    });
    await writeFileAtomic(join(stage.dir, "index.html"), html);
    stage.commit();
    endCheckpointing(true);
    return {
      summary: { ...base, wallSeconds, metrics: out.metrics, verdict: golden.verdict, failing },
      thumbnail: thumbnailOf(exp.name, out.charts),
    };
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/** Does this verdict fail the run? */
export function isFailure(s: ExperimentSummary, ci: boolean): boolean {
  return s.verdict === "failed" || FAILING_VERDICTS.includes(s.verdict as never) ||
    (ci && s.verdict === "no golden");
}

/** A plan as it crosses to a worker: plain data (the worker looks the experiment up by name). */
export interface PlanMessage {
  name: string;
  config: unknown;
  seed: number;
  configHash: string;
}

/** The options a worker needs: plain data, no functions. */
export type WorkerOptions = Omit<ReproduceOptions, "experiments" | "workerModule" | "workers">;

/**
 * Run one planned experiment in this thread's tfjs, checking that it leaves no tensor behind (a
 * leak fails the experiment).
 */
export async function runChecked(
  p: Plan,
  o: WorkerOptions,
  commit: string | null,
): Promise<{ summary: ExperimentSummary; thumbnail?: string }> {
  const backend = await initBackend();
  const before = tf.memory().numTensors;
  const r = await runOne(p, o, backend, commit);
  r.summary.tensorsAfter = tf.memory().numTensors;
  if (r.summary.tensorsAfter !== before && !r.summary.error) {
    r.summary.error =
      `tensor leak: ${before} live tensors before the experiment, ${r.summary.tensorsAfter} after`;
    r.summary.verdict = "failed";
    console.error(`\n[${r.summary.name}] ${r.summary.error}`);
  }
  return r;
}

const activeWorkers = new Set<Worker>();

/** Stop every worker of this process at once (interrupts: V8 stops even a tight loop). */
export function terminateWorkers(): void {
  for (const w of activeWorkers) w.terminate();
  activeWorkers.clear();
}

/** Longest first (wall times of the previous run in `outDir`, when there is one): the shortest makespan. */
async function schedule(plans: Plan[], outDir: string, profile: ProfileName): Promise<number[]> {
  const order = plans.map((_, i) => i);
  try {
    const prev = JSON.parse(await Deno.readTextFile(join(outDir, "summary.json")));
    if (prev.profile !== profile) return order;
    const wall = new Map<string, number>(
      prev.experiments.map((e: ExperimentSummary) => [e.name, e.wallSeconds]),
    );
    return order.sort((a, b) =>
      (wall.get(plans[b].exp.name) ?? 0) - (wall.get(plans[a].exp.name) ?? 0)
    );
  } catch {
    return order;
  }
}

/** Run the plans on `n` workers, each with its own tfjs; results in plan order. */
async function runInWorkers(
  plans: Plan[],
  o: ReproduceOptions,
  commit: string | null,
  n: number,
): Promise<{ summary: ExperimentSummary; thumbnail?: string }[]> {
  const results: { summary: ExperimentSummary; thumbnail?: string }[] = new Array(plans.length);
  const queue = await schedule(plans, o.outDir, o.profile);
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
      const p = plans[i];
      const message: PlanMessage = {
        name: p.exp.name,
        config: p.config,
        seed: p.seed,
        configHash: p.configHash,
      };
      worker.onmessage = (e) => {
        results[i] = e.data;
        resolve();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        results[i] = {
          summary: {
            name: p.exp.name,
            title: p.exp.title,
            profile: o.profile,
            seed: p.seed,
            wallSeconds: 0,
            metrics: {},
            headline: [],
            verdict: "failed",
            failing: [],
            error: `worker crashed: ${e.message}`,
          },
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
 * Run the experiments, on `workers` Deno workers (each with its own tfjs; experiments are
 * independent, so results do not depend on the number of workers) or, with 0, in this thread;
 * then write the index and the summary. Returns the summaries and the exit code (0 or 1).
 */
export async function reproduce(
  o: ReproduceOptions,
): Promise<{ summaries: ExperimentSummary[]; exitCode: number }> {
  const plans = await plan(o);
  await writeSiteAssets(o.outDir);
  const commit = await gitCommit(o.root);
  const workers = o.workers ?? 0;
  let results: { summary: ExperimentSummary; thumbnail?: string }[];
  if (workers > 0 && o.workerModule) {
    results = await runInWorkers(plans, o, commit, workers);
  } else {
    results = [];
    for (const p of plans) results.push(await runChecked(p, o, commit));
  }
  const summaries = results.map((r) => r.summary);
  const rows: IndexRow[] = results.map(({ summary, thumbnail }) => ({
    name: summary.name,
    title: summary.title,
    profile: summary.profile,
    verdict: summary.verdict,
    failing: summary.failing,
    wallSeconds: summary.wallSeconds,
    headline: summary.headline.filter((h) => h in summary.metrics).map((h) => ({
      name: h,
      value: summary.metrics[h],
    })),
    thumbnail,
    error: summary.error,
  }));
  await writeFileAtomic(
    join(o.outDir, "index.html"),
    indexPage(rows, { generated: new Date().toISOString(), commit }),
  );
  const peakRssMiB = Math.round(peakMemoryMiB());
  await writeJsonAtomic(join(o.outDir, "summary.json"), {
    profile: o.profile,
    commit,
    peakRssMiB,
    experiments: summaries,
  });
  if (o.print ?? true) {
    console.log("\n" + summaryTable(summaries));
    console.log(
      `peak RSS ${peakRssMiB} MiB · live tensors after each experiment: ${
        summaries.map((s) => s.tensorsAfter).join(", ")
      }`,
    );
  }
  const exitCode = summaries.some((s) => isFailure(s, o.ci ?? false)) ? 1 : 0;
  return { summaries, exitCode };
}

/** The summary table: experiment, wall time, key metrics, golden verdict. */
export function summaryTable(summaries: ExperimentSummary[]): string {
  const fmt = (v: number) =>
    Number.isInteger(v)
      ? String(v)
      : Math.abs(v) < 1e-3 && v !== 0
      ? v.toExponential(2)
      : v.toPrecision(4);
  const rows = [["experiment", "wall", "key metrics", "golden"]].concat(summaries.map((s) => [
    s.name,
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

/** Path (from the index) of the chart shown as an experiment's thumbnail. */
function thumbnailOf(name: string, charts: RunOutput["charts"]): string | undefined {
  const c = charts.find((c) => c.thumbnail) ?? charts.find((c) => c.name === "samples") ??
    charts[0];
  return c ? `${name}/${c.name}.svg` : undefined;
}
