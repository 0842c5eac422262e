/**
 * Executing one job in this thread: a part of a run (`runPart`) or a whole run (`run`, given its
 * parts' outputs when it has parts), with its streams, progress and checkpoints; a run's metrics
 * are checked (every one has a spec and is finite), its samples hashed, and, for a golden renewal,
 * its sensitivity figures measured. Nothing is written here.
 */
import type { PartOutput, RunContext, RunOutput } from "./experiment.ts";
import { metricSpec } from "../spec/metrics.ts";
import type { Plan } from "./plan.ts";
import { runKey } from "./plan.ts";
import { createProgress, type Progress, type ProgressMode } from "./progress.ts";
import { checkpointDir, partFolder, RunCheckpoints } from "./checkpoint.ts";
import { measureDegradations } from "./sensitivity.ts";
import { requestInterrupt } from "./interrupt.ts";
import { Streams } from "../runtime/random.ts";
import { sha256 } from "../runtime/io.ts";
import { outputDigests, SAMPLES_FILE } from "./outputs.ts";

/** How runs are executed (plain data: it crosses to workers). */
export interface ExecuteOptions {
  outDir: string;
  progress?: ProgressMode;
  /** Continue training runs from the checkpoints of an interrupted run. */
  resume?: boolean;
  /** Steps between checkpoints of a training run (default 1000). */
  checkpointEvery?: number;
  /** Measure the degradations of the run's samples (golden renewals). */
  sensitivity?: boolean;
  /** Testing hook: request an interrupt right after this many checkpoints were saved. */
  faultInterruptAfterCheckpoint?: number;
}

/** A run that finished. */
export interface Executed {
  ok: true;
  out: RunOutput;
  wallSeconds: number;
  progress: Progress;
  samplesSha256: string | null;
  /** The sha256 of every other output (files, charts' data, details): `outputs.ts`. */
  outputsSha256: Record<string, string>;
  sensitivity?: Record<string, Record<string, number> | null>;
  /** The run's checkpoints: `finish(true)` once its folder is written. */
  checkpoints: RunCheckpoints;
}

/** A part that finished. */
export interface PartExecuted {
  ok: true;
  output: PartOutput;
  wallSeconds: number;
  /** Seconds of each progress phase. */
  phases: Record<string, number>;
}

/** A job that stopped with an error. */
export interface ExecutionFailure {
  ok: false;
  error: string;
  wallSeconds: number;
}

/** The label of a part in progress lines and errors: `<run>[<part>]`. */
export function partLabel(p: Plan, part: string): string {
  return `${runKey(p)}[${part}]`;
}

/** Run `body` with the context of `p`, its checkpointing set for `label`; errors are returned. */
async function withContext<T>(
  p: Plan,
  o: ExecuteOptions,
  label: string,
  folder: string,
  body: (ctx: RunContext<unknown>, progress: Progress) => Promise<T>,
  parts?: Record<string, PartOutput>,
): Promise<
  | { ok: true; value: T; wallSeconds: number; progress: Progress; checkpoints: RunCheckpoints }
  | ExecutionFailure
> {
  const progress = createProgress(label, o.progress ?? "lines");
  const start = performance.now();
  const checkpoints = new RunCheckpoints({
    dir: checkpointDir(o.outDir, folder),
    every: o.checkpointEvery ?? 1000,
    resume: o.resume ?? false,
    identity: { experiment: label, profile: p.profile, seed: p.seed, configHash: p.configHash },
    onSaved: (n) => {
      if (n === o.faultInterruptAfterCheckpoint) requestInterrupt();
    },
  });
  try {
    const ctx: RunContext<unknown> = {
      config: p.config,
      profile: p.profile,
      seed: p.seed,
      streams: new Streams(p.seed),
      progress,
      checkpoints,
      ...(parts ? { parts } : {}),
    };
    const value = await body(ctx, progress);
    return {
      ok: true,
      value,
      wallSeconds: (performance.now() - start) / 1000,
      progress,
      checkpoints,
    };
  } catch (e) {
    checkpoints.finish(false);
    const err = e as Error;
    console.error(`\n[${label}] FAILED: ${err.message}`);
    if (!(err.name === "DivergenceError" || err.name === "MetricInputError")) {
      console.error(err.stack?.split("\n").slice(1, 6).join("\n"));
    }
    return { ok: false, error: err.message, wallSeconds: (performance.now() - start) / 1000 };
  }
}

/**
 * Run one part of `p`, given the outputs of the parts it needs; never throws (the error is
 * returned). Its checkpoints are its own; its output goes back to the run, which is written as a
 * whole later, and only then are the parts' checkpoints removed.
 */
export async function executePart(
  p: Plan,
  part: string,
  o: ExecuteOptions,
  needs?: Record<string, PartOutput>,
): Promise<PartExecuted | ExecutionFailure> {
  const r = await withContext(
    p,
    o,
    partLabel(p, part),
    partFolder(p.folder, part),
    (ctx) => p.exp.runPart!(ctx, part),
    needs,
  );
  if (!r.ok) return r;
  // Its checkpoints stay until the run's folder is written (`removePartCheckpoints`): a run
  // interrupted after this part resumes it from its last checkpoint instead of training again.
  return { ok: true, output: r.value, wallSeconds: r.wallSeconds, phases: r.progress.timings() };
}

/**
 * Run `p`'s experiment (assembling `parts` when it has parts); never throws for a failing run (the
 * error is returned). On success the caller finishes its checkpoints once the run's folder is
 * written (`checkpoints.finish(true)`), so an interrupt before that still finds them.
 */
export async function executeRun(
  p: Plan,
  o: ExecuteOptions,
  parts?: Record<string, PartOutput>,
): Promise<Executed | ExecutionFailure> {
  const r = await withContext(p, o, runKey(p), p.folder, async (ctx) => {
    const out = await p.exp.run(ctx);
    for (const [k, v] of Object.entries(out.metrics)) {
      if (!metricSpec(p.exp.metrics, k)) throw new Error(`metric "${k}" has no MetricSpec`);
      // A non-finite value is judged (a regression, see judgeFiniteness), not a crash.
      if (typeof v !== "number") throw new Error(`metric "${k}" is ${v}, not a number`);
    }
    return out;
  }, parts);
  if (!r.ok) return r;
  const out = r.value;
  const samples = out.files.find((f) => f.name === SAMPLES_FILE);
  const samplesSha256 = samples ? await sha256(samples.content) : null;
  const outputsSha256 = await outputDigests(out);
  const sensitivity = o.sensitivity && out.probe ? measureDegradations(out.probe) : undefined;
  return {
    ok: true,
    out,
    wallSeconds: r.wallSeconds,
    progress: r.progress,
    samplesSha256,
    outputsSha256,
    sensitivity,
    checkpoints: r.checkpoints,
  };
}
