/**
 * One experiment run in this thread, as the harness's workers run it (parts first, each after the
 * parts it needs and from a fresh `Streams(seed)`, then the run given their outputs), with no
 * checkpoints and nothing written: what a browser needs to re-run an experiment of the report and
 * check its bytes: the sha256 of `samples.csv` and of every other output (`core/harness/outputs.ts`),
 * taken as the harness takes them (WebCrypto: the same in Deno and in browsers).
 */
import type { AnyExperiment, PartOutput, ProfileName } from "../harness/experiment.ts";
import { partGraph } from "../harness/parts.ts";
import { NO_CHECKPOINTS } from "../runtime/checkpoints.ts";
import type { Progress } from "../runtime/progress.ts";
import { Streams } from "../runtime/random.ts";
import { outputDigests, SAMPLES_FILE } from "../harness/outputs.ts";
import { sha256 } from "../runtime/io.ts";

/** What a run in this thread returns. */
export interface InThreadRun {
  metrics: Record<string, number>;
  /** Hex sha256 of samples.csv, null for experiments without one. */
  samplesSha256: string | null;
  /** The sha256 of every other output, by name (`outputs.ts`). */
  outputsSha256: Record<string, string>;
  seconds: number;
}

/** Run `exp`'s `profile` at `seed` here (the backend and kernels already started). */
export async function runInThread(
  exp: AnyExperiment,
  profile: ProfileName,
  seed: number,
  progress: Progress,
): Promise<InThreadRun> {
  const start = performance.now();
  const config = exp.profiles[profile];
  const context = () => ({
    config,
    profile,
    seed,
    streams: new Streams(seed),
    progress,
    checkpoints: NO_CHECKPOINTS,
  });
  let parts: Record<string, PartOutput> | undefined;
  if (exp.parts) {
    parts = {};
    const g = partGraph(exp.name, exp.parts(config), exp.partNeeds?.(config));
    for (const part of g.order) {
      const needs = Object.fromEntries(g.needs[part].map((n) => [n, parts![n]]));
      parts[part] = await exp.runPart!({ ...context(), parts: needs }, part);
    }
  }
  const out = await exp.run({ ...context(), ...(parts ? { parts } : {}) });
  const samples = out.files.find((f) => f.name === SAMPLES_FILE);
  return {
    metrics: out.metrics,
    samplesSha256: samples ? await sha256(samples.content) : null,
    outputsSha256: await outputDigests(out),
    seconds: (performance.now() - start) / 1000,
  };
}
