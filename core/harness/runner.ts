/**
 * The runner: plan every run (configs and goldens checked before any work), run each planned run
 * (in this thread or on Deno workers, each with its own tfjs), and for each: execute it
 * (`execute.ts`), check it against its golden (`check.ts`), write its folder (`run_folder.ts`).
 * Then finish the site (`finalize.ts`) and print the summary table. With a shard, only that shard's
 * part of the plan runs (`shard.ts`: whole runs, and part groups of runs too long for one shard,
 * kept for `merge`); `merge` joins the shards' folders into the site a serial run writes.
 */
import { relative } from "node:path";
import type { AnyExperiment, PartOutput, ProfileName } from "./experiment.ts";
import type { ProgressMode } from "./progress.ts";
import { Board, type ProgressEvent } from "./board.ts";
import { partLabel } from "./execute.ts";
import { descendants, partGraph, partSpan } from "./parts.ts";
import { type Golden, GoldenFileError, isFailing, readGolden } from "./golden.ts";
import { gitCommit, runtimeVersions } from "./provenance.ts";
import { checkpointDir, partCheckpointDir, unusableCheckpoints } from "./checkpoint.ts";
import { costModel, type Plan, plan, runKey, type Shard } from "./plan.ts";
import { shardWork } from "./shard.ts";
import { type ShardPart, writeShardParts } from "./shard_parts.ts";
import { finalizeSite, type JobSpan, type RunSummary, timelineOf, workSpread } from "./finalize.ts";
import {
  failedSummary,
  type JobMessage,
  type PartResult,
  type PlanMessage,
  runPartJob,
  runRunJob,
  type WorkerOptions,
} from "./job.ts";
import { ConfigError } from "../spec/rules.ts";
import { requestInterrupt } from "./interrupt.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { peakMemoryMiB, sampleMemory } from "./memory.ts";

export type { RunSummary, WorkerOptions };

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

const activeWorkers = new Set<Worker>();

/** Stop every worker of this process at once (interrupts: V8 stops even a tight loop). */
export function terminateWorkers(): void {
  for (const w of activeWorkers) w.terminate();
  activeWorkers.clear();
}

/** Jobs of a plan: each part, and each run assembled here (a run with parts assembles them). */
function countJobs(partsOf: string[][], split: Map<number, string[]>): number {
  return partsOf.reduce((a, parts, i) => a + parts.length + (split.has(i) ? 0 : 1), 0);
}

/** Seconds since the process started. */
function now(): number {
  return performance.now() / 1000;
}

/** A split run's part as a job name: `<run>[<part>]`. */
function partKey(p: ShardPart): string {
  return `${p.run}[${p.part}]`;
}

/**
 * A job of the scheduler: one part of a run, or a run (after its parts). `cost` is its estimated
 * seconds, `priority` that plus the estimates of what waits on it (the parts that need it).
 */
type Job = { kind: "part"; plan: number; part: string; cost: number; priority: number } | {
  kind: "run";
  plan: number;
  cost: number;
  priority: number;
};

/**
 * Run the plans' jobs on `n` workers, or in this thread with n = 0: every part of every run (longest
 * first; a part that others need counts their cost too), a part as soon as the parts it needs are
 * done (their outputs handed to it), and each run as soon as all its parts are done, their outputs
 * handed to it. A failed part fails the parts that need it, and its run. Results in plan order.
 * A part's estimate is `partCost`'s (recorded), else an equal share of its run's `cost`.
 * A plan in `split` (a shard's part of a split run) runs only the parts given there, closed under
 * their needs, and is not assembled: its parts go to `shardParts` (no summary is returned for it).
 */
export async function runPlans(
  plans: Plan[],
  o: WorkerOptions,
  goldens: Map<string, Golden | null>,
  commit: string | null,
  workers: { count: number; module?: string; spans?: JobSpan[] },
  cost: (key: string) => number,
  partCost: (key: string, part: string) => number | undefined = () => undefined,
  split: Map<number, string[]> = new Map(),
  shardParts: ShardPart[] = [],
): Promise<RunSummary[]> {
  const partsOf = plans.map((p, i) => split.get(i) ?? p.parts);
  const graphs = plans.map((p) => partGraph(runKey(p), p.parts, p.needs));
  const results: RunSummary[] = new Array(plans.length);
  const outputs = plans.map(() => ({} as Record<string, PartOutput>));
  const seconds = plans.map(() => ({} as Record<string, number>));
  const phases = plans.map(() => ({} as Record<string, Record<string, number>>));
  const failures = plans.map(() => [] as string[]);
  const waiting = partsOf.map((parts) => parts.length);
  const unmet = graphs.map((g) =>
    Object.fromEntries(g.order.map((part) => [part, g.needs[part].length]))
  );
  let pending = plans.length;
  const finish = (i: number, s?: RunSummary) => {
    if (s) results[i] = s;
    pending--;
  };
  const settled = plans.map(() => new Set<string>());
  const estimate = (i: number, part: string) =>
    partCost(runKey(plans[i]), part) ?? cost(runKey(plans[i])) / partsOf[i].length;
  const partJob = (i: number, part: string): Job => {
    const own = estimate(i, part);
    let priority = own;
    for (const d of descendants(graphs[i], part)) priority += estimate(i, d);
    return { kind: "part", plan: i, part, cost: own, priority };
  };
  const ready: Job[] = [];
  plans.forEach((p, i) => {
    if (partsOf[i].length === 0) {
      const c = cost(runKey(p));
      ready.push({ kind: "run", plan: i, cost: c, priority: c });
    }
    for (const part of partsOf[i]) if (unmet[i][part] === 0) ready.push(partJob(i, part));
  });
  // Longest first; a run whose parts are done goes to the front (it writes the folder), and so
  // does a part whose needs are done (it continues a run that started).
  ready.sort((a, b) => b.priority - a.priority || a.plan - b.plan);
  const golden = (i: number) => goldens.get(plans[i].goldenFile) ?? null;
  const needsOf = (i: number, part: string) =>
    Object.fromEntries(graphs[i].needs[part].map((n) => [n, outputs[i][n]]));
  const partDone = (i: number, part: string, r: PartResult) => {
    if (settled[i].has(part)) return;
    settled[i].add(part);
    seconds[i][part] = r.wallSeconds;
    if (r.ok) {
      outputs[i][part] = r.output;
      phases[i][part] = r.phases;
      for (const d of graphs[i].dependents[part]) {
        if (--unmet[i][d] === 0 && !settled[i].has(d)) ready.unshift(partJob(i, d));
      }
    } else {
      failures[i].push(`part ${part}: ${r.error}`);
      for (const d of graphs[i].dependents[part]) {
        partDone(i, d, { ok: false, error: `needs part ${part}, which failed`, wallSeconds: 0 });
      }
    }
    if (--waiting[i] > 0) return;
    if (split.has(i)) {
      for (const q of partsOf[i]) {
        const failed = failures[i].find((f) => f.startsWith(`part ${q}: `));
        shardParts.push({
          run: runKey(plans[i]),
          folder: plans[i].folder,
          part: q,
          seconds: seconds[i][q],
          ...(failed
            ? { error: failed.slice(`part ${q}: `.length) }
            : { phases: phases[i][q], output: outputs[i][q] }),
        });
      }
      finish(i);
    } else if (failures[i].length) {
      const total = Object.values(seconds[i]).reduce((a, b) => a + b, 0);
      finish(i, failedSummary(plans[i], plans[i].exp.title, failures[i].join("; "), total));
    } else ready.unshift({ kind: "run", plan: i, cost: 0, priority: 0 });
  };

  const labelOf = (job: Job) =>
    job.kind === "part" ? partLabel(plans[job.plan], job.part) : runKey(plans[job.plan]);
  if (workers.count === 0 || !workers.module || plans.length === 0) {
    for (let job = ready.shift(); job; job = ready.shift()) {
      const p = plans[job.plan];
      const start = now();
      if (job.kind === "part") {
        partDone(job.plan, job.part, await runPartJob(p, job.part, o, needsOf(job.plan, job.part)));
      } else {
        finish(
          job.plan,
          await runRunJob(
            p,
            o,
            commit,
            golden(job.plan),
            partsOf[job.plan].length ? outputs[job.plan] : undefined,
            seconds[job.plan],
            phases[job.plan],
          ),
        );
      }
      workers.spans?.push({ job: labelOf(job), worker: 0, start, end: now() });
    }
    return results.filter((s) => s !== undefined);
  }
  const n = Math.min(workers.count, countJobs(partsOf, split));
  // On a terminal the coordinator draws every running job (board.ts); the workers post events.
  const board = o.progress === "bar"
    ? new Board(
      plans.reduce((a, p) => a + cost(runKey(p)), 0) + plans.length,
      countJobs(partsOf, split),
      n,
    )
    : undefined;
  const options: WorkerOptions = { ...o, progress: board ? "events" : o.progress };
  /** Run a job on a worker; resolves true when the worker crashed (it must then be replaced). */
  const send = (worker: Worker, job: Job) =>
    new Promise<boolean>((resolve) => {
      const { exp, ...rest } = plans[job.plan];
      const plan: PlanMessage = { ...rest, name: exp.name };
      board?.started(labelOf(job), job.cost || 1);
      worker.onmessage = (e) => {
        if (e.data?.interrupt) return requestInterrupt();
        if (e.data?.progress) return board?.progress(e.data.progress as ProgressEvent);
        board?.finished(labelOf(job));
        if (job.kind === "part") partDone(job.plan, job.part, e.data as PartResult);
        else finish(job.plan, e.data as RunSummary);
        resolve(false);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        const error = `worker crashed: ${e.message}`;
        if (job.kind === "part") partDone(job.plan, job.part, { ok: false, error, wallSeconds: 0 });
        else finish(job.plan, failedSummary(plans[job.plan], exp.title, error, 0));
        resolve(true);
      };
      const message: JobMessage = job.kind === "part"
        ? { kind: "part", plan, part: job.part, options, parts: needsOf(job.plan, job.part) }
        : {
          kind: "run",
          plan,
          options,
          commit,
          golden: golden(job.plan),
          ...(partsOf[job.plan].length
            ? {
              parts: outputs[job.plan],
              partSeconds: seconds[job.plan],
              partPhases: phases[job.plan],
            }
            : {}),
        };
      worker.postMessage(message);
    });
  const spawn = () => {
    const w = new Worker(workers.module!, { type: "module" });
    activeWorkers.add(w);
    return w;
  };
  const pool = Array.from({ length: n }, spawn);
  // A worker with nothing ready waits for another job to finish (it may release a run).
  let wake: (() => void)[] = [];
  const remaining = () => pending > 0;
  const sampler = setInterval(sampleMemory, 200);
  try {
    await Promise.all(pool.map(async (_, slot) => {
      while (remaining()) {
        const job = ready.shift();
        if (!job) {
          await new Promise<void>((r) => wake.push(r));
          continue;
        }
        const start = now();
        const crashed = await send(pool[slot], job);
        workers.spans?.push({ job: labelOf(job), worker: slot, start, end: now() });
        if (crashed) {
          // A crashed worker takes no more jobs: the job failed loudly, a fresh worker goes on.
          pool[slot].terminate();
          activeWorkers.delete(pool[slot]);
          pool[slot] = spawn();
        }
        const waiters = wake;
        wake = [];
        waiters.forEach((r) => r());
      }
      const waiters = wake;
      wake = [];
      waiters.forEach((r) => r());
    }));
  } finally {
    clearInterval(sampler);
    board?.close();
    for (const w of pool) {
      w.terminate();
      activeWorkers.delete(w);
    }
  }
  return results.filter((s) => s !== undefined);
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
      plans.flatMap((p) => [
        checkpointDir(o.outDir, p.folder),
        ...p.parts.map((part) => partCheckpointDir(o.outDir, p.folder, part)),
      ]),
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
  const { cost, partCost, warning } = await costModel(o.root, plans);
  let selected = plans;
  const split = new Map<number, string[]>();
  if (o.shard) {
    if (warning) console.error(`warning: ${warning}`);
    const mine = shardWork(plans, cost, partCost, o.shard.count)[o.shard.index];
    selected = plans.filter((p) => mine.runs.includes(runKey(p)) || mine.parts.has(runKey(p)));
    selected.forEach((p, i) => {
      const parts = mine.parts.get(runKey(p));
      if (parts) split.set(i, parts);
    });
  }
  await writeSiteAssets(o.outDir);
  const commit = await gitCommit(o.root);
  const shardParts: ShardPart[] = [];
  const spans: JobSpan[] = [];
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
    { count: o.workers ?? 0, module: o.workerModule, spans },
    cost,
    partCost,
    split,
    shardParts,
  );
  const parts = o.shard ? await writeShardParts(o.outDir, shardParts) : undefined;
  const peakRssMiB = Math.round(peakMemoryMiB());
  const workerCount = Math.min(o.workers ?? 0, spans.length);
  const timeline = timelineOf(spans, o.workerModule ? workerCount : 0);
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
    ...(parts ? { parts } : {}),
    ...(timeline ? { timeline } : {}),
    versions: await runtimeVersions(o.root),
  });
  if (o.print ?? true) {
    if (o.shard) {
      const splitRuns = split.size
        ? `, and ${shardParts.length} parts of ${split.size} split run${
          split.size > 1 ? "s" : ""
        } (merge assembles ${split.size > 1 ? "them" : "it"})`
        : "";
      console.log(
        `\nshard ${
          o.shard.index + 1
        }/${o.shard.count}: ${summaries.length} of ${plans.length} runs` +
          splitRuns,
      );
    }
    if (summaries.length) console.log("\n" + summaryTable(summaries));
    for (const s of sweeps) {
      console.log(`sweep ${s.name}: ${s.verdict}${s.detail ? ` (${s.detail})` : ""}`);
    }
    const notCompared = summaries.filter((s) => s.verdict === "not compared");
    if (notCompared.length) {
      console.log(
        `not compared with their goldens (user overrides): ${notCompared.map(runKey).join(", ")}`,
      );
    }
    const w = workSpread(summaries);
    for (const p of shardParts) {
      w.workSeconds += p.seconds;
      if (p.seconds > w.longestJob.seconds) w.longestJob = { job: partKey(p), seconds: p.seconds };
    }
    for (const [i] of split) {
      const p = selected[i];
      const mine = shardParts.filter((q) => q.run === runKey(p));
      const span = partSpan(
        partGraph(runKey(p), p.parts, p.needs),
        Object.fromEntries(mine.map((q) => [q.part, q.seconds])),
      );
      if (span > w.criticalPath.seconds) w.criticalPath = { run: runKey(p), seconds: span };
    }
    console.log(
      `work ${w.workSeconds.toFixed(0)} s · longest job ${w.longestJob.job} ${
        w.longestJob.seconds.toFixed(1)
      } s · critical path ${w.criticalPath.run} ${w.criticalPath.seconds.toFixed(1)} s ` +
        "(the least wall time with a worker per job)",
    );
    if (timeline) {
      const wall = now();
      console.log(
        `wall ${wall.toFixed(1)} s: start-up ${timeline.firstStart.toFixed(1)} s, jobs ${
          (timeline.lastEnd - timeline.firstStart).toFixed(1)
        } s on ${Math.max(1, timeline.workers)} worker${timeline.workers > 1 ? "s" : ""} (busy ${
          Math.round(100 * timeline.busyShare)
        }%), site and summary ${(wall - timeline.lastEnd).toFixed(1)} s`,
      );
    }
    console.log(
      `peak RSS ${peakRssMiB} MiB · live tensors after each run: ${
        summaries.map((s) => s.tensorsAfter).join(", ")
      }`,
    );
  }
  const ci = o.ci ?? false;
  const failedParts = shardParts.filter((p) => p.error !== undefined);
  for (const p of failedParts) console.error(`${partKey(p)} failed: ${p.error}`);
  const failed = summaries.some((s) => isFailing(s.verdict, ci)) ||
    sweeps.some((s) => s.verdict === "regressed") || failedParts.length > 0;
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
