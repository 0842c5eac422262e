/**
 * The runner: plan every run (configs and goldens checked before any work), run each planned run
 * (in this thread or on Deno workers, each with its own tfjs), and for each: execute it
 * (`execute.ts`), check it against its golden (`check.ts`), write its folder (`run_folder.ts`).
 * Then finish the site (`finalize.ts`) and print the summary table. With a shard, only that shard's
 * part of the plan runs; `merge` joins the shards' folders into the site a serial run writes.
 */
import { relative } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type AnyExperiment, metricSpec, type ProfileName } from "./experiment.ts";
import type { ProgressMode } from "./progress.ts";
import { formatDiff, type Golden, GoldenFileError, isFailing, readGolden } from "./golden.ts";
import { gitCommit, runtimeVersions } from "./provenance.ts";
import { checkpointDir, endCheckpointing, unusableCheckpoints } from "./checkpoint.ts";
import { costModel, partition, type Plan, plan, runKey, type Shard } from "./plan.ts";
import { finalizeSite, type RunSummary } from "./finalize.ts";
import { type ExecuteOptions, executeRun } from "./execute.ts";
import { checkRun } from "./check.ts";
import { writeRunFolder } from "./run_folder.ts";
import { sensitivityTable } from "./sensitivity.ts";
import { ConfigError } from "./schema.ts";
import { initBackend } from "../runtime/backend.ts";
import { requestInterrupt } from "./interrupt.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { peakMemoryMiB, sampleMemory } from "./memory.ts";

export type { RunSummary };

/** What to run and how. */
export interface ReproduceOptions {
  /** Project root (holds `fixtures/`). */
  root: string;
  /** Folder the outputs go to (`reports/` or a folder under it). */
  outDir: string;
  experiments: AnyExperiment[];
  profile: ProfileName;
  /** Run every seed of each experiment's golden distribution instead of its single run. */
  sweep?: boolean;
  /** Seed override; each experiment's own seed otherwise. */
  seed?: number;
  /** Config overrides: experiment name -> dotted field path -> value. */
  overrides?: Record<string, Record<string, unknown>>;
  /** Run only this part of the plan (its folder is then one shard of a `merge`). */
  shard?: Shard;
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
  /** Testing hook: interrupt (as SIGTERM) right after this many checkpoints of a run. */
  faultInterruptAfterCheckpoint?: number;
}

/** The options a run needs in its thread: plain data, no functions. */
export interface WorkerOptions extends ExecuteOptions {
  root: string;
  ci?: boolean;
  writeDelayMs?: number;
}

/** A plan as it crosses to a worker: plain data (the worker looks the experiment up by name). */
export type PlanMessage = Omit<Plan, "exp"> & { name: string };

/** What a worker is sent for one run. */
export interface RunMessage {
  plan: PlanMessage;
  options: WorkerOptions;
  commit: string | null;
  golden: Golden | null;
}

/**
 * The goldens of the planned runs, read and checked before any work: a corrupt golden is a
 * {@link ConfigError} naming the file (exit 2).
 */
export async function loadGoldens(
  root: string,
  plans: Plan[],
): Promise<Map<string, Golden | null>> {
  const out = new Map<string, Golden | null>();
  for (const p of plans) {
    if (out.has(p.goldenFile)) continue;
    try {
      out.set(p.goldenFile, await readGolden(p.goldenFile, p.exp.name, p.profile, root));
    } catch (e) {
      if (e instanceof GoldenFileError) {
        throw new ConfigError(relative(root, p.goldenFile), "", "", e.message);
      }
      throw e;
    }
  }
  return out;
}

function failedSummary(
  p: Plan | PlanMessage,
  title: string,
  error: string,
  wallSeconds: number,
): RunSummary {
  return {
    name: "exp" in p ? p.exp.name : p.name,
    title,
    runId: p.runId,
    folder: p.folder,
    profile: p.profile,
    seed: p.seed,
    configHash: p.configHash,
    wallSeconds,
    metrics: {},
    headline: [],
    verdict: "failed",
    failing: [],
    error,
    samplesSha256: null,
  };
}

/**
 * Run one planned run in this thread's tfjs: execute, check against its golden, write its folder;
 * a leaked tensor fails the run. Never throws for a failing run.
 */
export async function runChecked(
  p: Plan,
  o: WorkerOptions,
  commit: string | null,
  golden: Golden | null,
): Promise<RunSummary> {
  const backend = await initBackend();
  const before = tf.memory().numTensors;
  const r = await executeRun(p, o);
  let s: RunSummary;
  if (!r.ok) {
    s = failedSummary(p, p.exp.title, r.error, r.wallSeconds);
  } else {
    const check = checkRun(golden, p, r.out.metrics, r.samplesSha256);
    if (isFailing(check.verdict, o.ci ?? false)) {
      console.error(
        `\n[${runKey(p)}] golden check: ${check.verdict}${
          check.detail ? ` (${check.detail})` : ""
        }\n${formatDiff(check.repro, check.quality)}`,
      );
    }
    await writeRunFolder(p, r, check, {
      outDir: o.outDir,
      backend,
      commit,
      power: golden ? sensitivityTable(golden) : undefined,
      writeDelayMs: o.writeDelayMs,
    });
    endCheckpointing(true);
    s = {
      name: p.exp.name,
      title: p.exp.title,
      runId: p.runId,
      folder: p.folder,
      profile: p.profile,
      seed: p.seed,
      configHash: p.configHash,
      wallSeconds: r.wallSeconds,
      metrics: r.out.metrics,
      headline: Object.keys(r.out.metrics).filter((k) => metricSpec(p.exp.metrics, k)?.headline),
      verdict: check.verdict,
      quality: check.quality.verdict,
      detail: check.detail,
      failing: check.failing,
      thumbnail: thumbnailOf(p.folder, r.out.charts),
      samplesSha256: r.samplesSha256,
      sensitivity: r.sensitivity,
    };
  }
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

/** Run plans on `n` workers (longest first), or in this thread with n = 0; results in plan order. */
export async function runPlans(
  plans: Plan[],
  o: WorkerOptions,
  goldens: Map<string, Golden | null>,
  commit: string | null,
  workers: { count: number; module?: string },
  cost: (key: string) => number,
): Promise<RunSummary[]> {
  if (workers.count === 0 || !workers.module || plans.length === 0) {
    const out: RunSummary[] = [];
    for (const p of plans) {
      out.push(await runChecked(p, o, commit, goldens.get(p.goldenFile) ?? null));
    }
    return out;
  }
  const n = workers.count;
  const results: RunSummary[] = new Array(plans.length);
  const queue = plans.map((_, i) => i).sort((a, b) =>
    cost(runKey(plans[b])) - cost(runKey(plans[a])) || a - b
  );
  const options: WorkerOptions = {
    ...o,
    progress: n > 1 && o.progress === "bar" ? "lines" : o.progress,
  };
  const run = (worker: Worker, i: number) =>
    new Promise<void>((resolve) => {
      const { exp, ...rest } = plans[i];
      const message: RunMessage = {
        plan: { ...rest, name: exp.name },
        options,
        commit,
        golden: goldens.get(rest.goldenFile) ?? null,
      };
      worker.onmessage = (e) => {
        if (e.data?.interrupt) return requestInterrupt();
        results[i] = e.data;
        resolve();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        results[i] = failedSummary(plans[i], exp.title, `worker crashed: ${e.message}`, 0);
        resolve();
      };
      worker.postMessage(message);
    });
  const pool = Array.from({ length: Math.min(n, plans.length) }, () => {
    const w = new Worker(workers.module!, { type: "module" });
    activeWorkers.add(w);
    return w;
  });
  const sampler = setInterval(sampleMemory, 200);
  try {
    await Promise.all(pool.map(async (w) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await run(w, i);
    }));
  } finally {
    clearInterval(sampler);
    for (const w of pool) {
      w.terminate();
      activeWorkers.delete(w);
    }
  }
  return results;
}

/**
 * Run the planned runs (or a shard's part of them), then finish the site. Returns the summaries
 * and the exit code (0 or 1).
 */
export async function reproduce(
  o: ReproduceOptions,
): Promise<{ summaries: RunSummary[]; exitCode: number }> {
  const plans = await plan(o.root, o.experiments, o.profile, {
    sweep: o.sweep,
    seed: o.seed,
    overrides: o.overrides,
  });
  const goldens = await loadGoldens(o.root, plans);
  if (o.resume) {
    const bad = unusableCheckpoints(
      plans.map((p) => checkpointDir(o.outDir, p.folder)),
      o.root,
    );
    if (bad.length) {
      throw new ConfigError(
        "--resume",
        bad.join(", "),
        "",
        `corrupt checkpoint ${
          bad.join(", ")
        }: remove it to start that training over, or run without --resume`,
      );
    }
  }
  const keys = plans.map(runKey);
  const { cost, warning } = await costModel(o.root, plans);
  let selected = plans;
  if (o.shard) {
    if (warning) console.error(`warning: ${warning}`);
    const mine = new Set(partition(keys, cost, o.shard.count)[o.shard.index]);
    selected = plans.filter((p) => mine.has(runKey(p)));
  }
  await writeSiteAssets(o.outDir);
  const commit = await gitCommit(o.root);
  const summaries = await runPlans(
    selected,
    {
      root: o.root,
      outDir: o.outDir,
      ci: o.ci,
      progress: o.progress,
      writeDelayMs: o.writeDelayMs,
      resume: o.resume,
      checkpointEvery: o.checkpointEvery,
      faultInterruptAfterCheckpoint: o.faultInterruptAfterCheckpoint,
    },
    goldens,
    commit,
    { count: o.workers ?? 0, module: o.workerModule },
    cost,
  );
  const peakRssMiB = Math.round(peakMemoryMiB());
  const sweeps = await finalizeSite(o.outDir, summaries, o.experiments, {
    root: o.root,
    commit,
    generated: new Date().toISOString(),
    peakRssMiB,
    selection: {
      profile: o.profile,
      sweep: o.sweep ?? false,
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
    for (const s of sweeps) {
      console.log(`sweep ${s.name}: ${s.verdict}${s.detail ? ` (${s.detail})` : ""}`);
    }
    const notCompared = summaries.filter((s) => s.verdict === "not compared");
    if (notCompared.length) {
      console.log(
        `not compared with their goldens (user overrides): ${notCompared.map(runKey).join(", ")}`,
      );
    }
    console.log(
      `peak RSS ${peakRssMiB} MiB · live tensors after each run: ${
        summaries.map((s) => s.tensorsAfter).join(", ")
      }`,
    );
  }
  const ci = o.ci ?? false;
  const failed = summaries.some((s) => isFailing(s.verdict, ci)) ||
    sweeps.some((s) => s.verdict === "regressed");
  return { summaries, exitCode: failed ? 1 : 0 };
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
    s.verdict + (s.failing.length
      ? ` (${s.failing.slice(0, 6).join(", ")}${s.failing.length > 6 ? ", ..." : ""})`
      : "") +
    (s.verdict === "changed" && s.quality
      ? ` · quality ${s.quality === "ok" ? "within seed spread" : s.quality}`
      : ""),
  ]));
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd();
  return [line(rows[0]), w.map((n) => "-".repeat(n)).join("  "), ...rows.slice(1).map(line)].join(
    "\n",
  );
}

/** Path (from the site root) of the chart shown as a run's thumbnail. */
function thumbnailOf(
  folder: string,
  charts: { name: string; timing?: boolean; thumbnail?: boolean }[],
): string | undefined {
  const shown = charts.filter((c) => !c.timing);
  const c = shown.find((c) => c.thumbnail) ?? shown.find((c) => c.name === "samples") ?? shown[0];
  return c ? `${folder}/${c.name}.svg` : undefined;
}
