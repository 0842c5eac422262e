/**
 * Executing one planned run in this thread: the experiment's `run` with its streams, progress and
 * checkpoints, its metrics checked (every one has a spec and is finite), the sha256 of its samples,
 * and, for a golden renewal, its sensitivity figures. Nothing is written here.
 */
import { metricSpec, type RunOutput } from "./experiment.ts";
import type { Plan } from "./plan.ts";
import { runKey } from "./plan.ts";
import { createProgress, type Progress, type ProgressMode } from "./progress.ts";
import { beginCheckpointing, checkpointDir, endCheckpointing } from "./checkpoint.ts";
import { measureDegradations } from "./sensitivity.ts";
import { requestInterrupt } from "./interrupt.ts";
import { Streams } from "../runtime/random.ts";
import { sha256 } from "../runtime/io.ts";

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
  sensitivity?: Record<string, Record<string, number> | null>;
}

/** A run that stopped with an error. */
export interface ExecutionFailure {
  ok: false;
  error: string;
  wallSeconds: number;
}

/**
 * Run `p`'s experiment; never throws for a failing run (the error is returned). On success the
 * caller ends the checkpointing once the run's folder is written (`endCheckpointing(true)`), so an
 * interrupt before that still finds the checkpoints.
 */
export async function executeRun(
  p: Plan,
  o: ExecuteOptions,
): Promise<Executed | ExecutionFailure> {
  const label = runKey(p);
  const progress = createProgress(label, o.progress ?? "lines");
  const start = performance.now();
  beginCheckpointing({
    dir: checkpointDir(o.outDir, p.folder),
    every: o.checkpointEvery ?? 1000,
    resume: o.resume ?? false,
    identity: { experiment: label, profile: p.profile, seed: p.seed, configHash: p.configHash },
    onSaved: (n) => {
      if (n === o.faultInterruptAfterCheckpoint) requestInterrupt();
    },
  });
  try {
    const out = await p.exp.run({
      config: p.config,
      profile: p.profile,
      seed: p.seed,
      streams: new Streams(p.seed),
      progress,
    });
    for (const [k, v] of Object.entries(out.metrics)) {
      if (!metricSpec(p.exp.metrics, k)) throw new Error(`metric "${k}" has no MetricSpec`);
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new Error(`metric "${k}" is ${v}, not a finite number`);
      }
    }
    const samples = out.files.find((f) => f.name === "samples.csv");
    const samplesSha256 = samples ? await sha256(samples.content) : null;
    const sensitivity = o.sensitivity && out.probe ? measureDegradations(out.probe) : undefined;
    return {
      ok: true,
      out,
      wallSeconds: (performance.now() - start) / 1000,
      progress,
      samplesSha256,
      sensitivity,
    };
  } catch (e) {
    endCheckpointing(false);
    const err = e as Error;
    console.error(`\n[${label}] FAILED: ${err.message}`);
    if (!(err.name === "DivergenceError" || err.name === "MetricInputError")) {
      console.error(err.stack?.split("\n").slice(1, 6).join("\n"));
    }
    return { ok: false, error: err.message, wallSeconds: (performance.now() - start) / 1000 };
  }
}
