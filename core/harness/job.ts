/**
 * One job in this thread's tfjs, as a worker (or the main thread with `--workers 0`) runs it: a
 * part of a run, or a whole run (execute, check against its golden, write its folder). A leaked
 * tensor fails the job. Jobs cross to workers as plain-data messages.
 */
import * as tf from "@tensorflow/tfjs";
import type { PartOutput } from "./experiment.ts";
import { metricSpec } from "../spec/metrics.ts";
import { formatDiff, type Golden, isFailing } from "./golden.ts";
import { type Plan, runKey } from "./plan.ts";
import type { RunSummary } from "./finalize.ts";
import { type ExecuteOptions, executePart, executeRun, partLabel } from "./execute.ts";
import { checkRun } from "./check.ts";
import { writeRunFolder } from "./run_folder.ts";
import { removePartCheckpoints } from "./checkpoint.ts";
import { sensitivityTable } from "./sensitivity.ts";
import { initBackend } from "../runtime/backend.ts";
import { summary } from "../metrics/statistics.ts";

/** The options a job needs in its thread: plain data, no functions. */
export interface WorkerOptions extends ExecuteOptions {
  root: string;
  ci?: boolean;
  writeDelayMs?: number;
}

/** A plan as it crosses to a worker: plain data (the worker looks the experiment up by name). */
export type PlanMessage = Omit<Plan, "exp"> & { name: string };

/** What a worker is sent: one part of a run, or a run (with its parts' outputs). */
export type JobMessage =
  | {
    kind: "part";
    plan: PlanMessage;
    part: string;
    options: WorkerOptions;
    /** The outputs of the parts this part needs. */
    parts?: Record<string, PartOutput>;
  }
  | {
    kind: "run";
    plan: PlanMessage;
    options: WorkerOptions;
    commit: string | null;
    golden: Golden | null;
    parts?: Record<string, PartOutput>;
    /** Seconds each part took, and of each of its phases (they show in the run's timing). */
    partSeconds?: Record<string, number>;
    partPhases?: Record<string, Record<string, number>>;
  };

/** What a part job returns. */
export type PartResult =
  | { ok: true; output: PartOutput; wallSeconds: number; phases: Record<string, number> }
  | { ok: false; error: string; wallSeconds: number };

/** The summary of a run that failed before its folder was written. */
export function failedSummary(
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

/** Check that a job left as many live tensors as it found. */
function leak(before: number): string | null {
  const after = tf.memory().numTensors;
  return after === before ? null : `tensor leak: ${before} live tensors before, ${after} after`;
}

/** Run one part of a run in this thread, given the outputs of the parts it needs. */
export async function runPartJob(
  p: Plan,
  part: string,
  o: WorkerOptions,
  needs?: Record<string, PartOutput>,
): Promise<PartResult> {
  await initBackend();
  const before = tf.memory().numTensors;
  const r = await executePart(p, part, o, needs);
  if (!r.ok) return r;
  const leaked = leak(before);
  if (leaked) {
    console.error(`\n[${partLabel(p, part)}] ${leaked}`);
    return { ok: false, error: leaked, wallSeconds: r.wallSeconds };
  }
  return { ok: true, output: r.output, wallSeconds: r.wallSeconds, phases: r.phases };
}

/**
 * Run one planned run in this thread: execute (assembling its parts' outputs), check against its
 * golden, write its folder. Never throws for a failing run.
 */
export async function runRunJob(
  p: Plan,
  o: WorkerOptions,
  commit: string | null,
  golden: Golden | null,
  parts?: Record<string, PartOutput>,
  partSeconds: Record<string, number> = {},
  partPhases: Record<string, Record<string, number>> = {},
): Promise<RunSummary> {
  const backend = await initBackend();
  const before = tf.memory().numTensors;
  const r = await executeRun(p, o, parts);
  const partTotal = Object.values(partSeconds).reduce((a, b) => a + b, 0);
  let s: RunSummary;
  if (!r.ok) {
    s = failedSummary(p, p.exp.title, r.error, partTotal + r.wallSeconds);
  } else {
    const check = checkRun(golden, p, r.out.metrics, r);
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
      partSeconds,
      partPhases,
    });
    r.checkpoints.finish(true);
    removePartCheckpoints(o.outDir, p.folder, p.parts);
    s = {
      name: p.exp.name,
      title: p.exp.title,
      runId: p.runId,
      folder: p.folder,
      profile: p.profile,
      seed: p.seed,
      configHash: p.configHash,
      wallSeconds: partTotal + r.wallSeconds,
      ...(Object.keys(partSeconds).length ? { partSeconds, assemblySeconds: r.wallSeconds } : {}),
      ...(Object.values(p.needs).some((n) => n.length) ? { partNeeds: p.needs } : {}),
      metrics: r.out.metrics,
      headline: Object.keys(r.out.metrics).filter((k) => metricSpec(p.exp.metrics, k)?.headline),
      seedSpread: golden
        ? seedSpread(
          golden,
          Object.keys(r.out.metrics).filter((k) => metricSpec(p.exp.metrics, k)?.headline),
        )
        : undefined,
      verdict: check.verdict,
      quality: check.quality.verdict,
      detail: check.detail,
      failing: check.failing,
      thumbnail: thumbnailOf(p.folder, r.out.charts),
      samplesSha256: r.samplesSha256,
      outputsSha256: r.outputsSha256,
      sensitivity: r.sensitivity,
    };
  }
  const leaked = leak(before);
  s.tensorsAfter = tf.memory().numTensors;
  if (leaked && !s.error) {
    s.error = leaked;
    s.verdict = "failed";
    console.error(`\n[${runKey(s)}] ${leaked}`);
  }
  return s;
}

/** The golden's seed-to-seed mean and sd of each of `names` (headline metrics). */
function seedSpread(
  g: Golden,
  names: string[],
): Record<string, { mean: number; sd: number; n: number }> {
  const out: Record<string, { mean: number; sd: number; n: number }> = {};
  for (const name of names) {
    const values = g.runs.map((r) => r.metrics[name]).filter((v) => Number.isFinite(v));
    if (values.length >= 2) {
      const s = summary(values);
      out[name] = { mean: s.mean, sd: s.sd, n: s.n };
    }
  }
  return out;
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
