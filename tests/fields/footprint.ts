/**
 * A field's footprint: everything its change moved, and the changed run's own bits, as recorded in
 * `fixtures/footprints.json`.
 *
 * "Something moved" cannot see an option lost by one of its two readers (the other still moves a
 * metric), nor one that still reaches a check but no longer the samples. Its footprint can: the
 * set of outputs the change moves is a function of the code (the runs are bit-exact), so a reader
 * that loses the option drops its outputs from the set, and a reader that newly takes it (a sampler
 * option reaching the training) adds some. The changed run's bits (its metrics, the sha256 of
 * samples.csv and of the other outputs) are a golden of a configuration no golden holds: an option
 * that reaches the run but acts wrongly away from its quick value (a formula that reads the option
 * in one place and its quick value in another) changes them. `deno task test:fields` holds each
 * field's footprint to the recorded one, exactly; `deno task test:fields-update` records them anew
 * (a change to review like a golden's: the diff names what each field's run gained, lost or moved).
 * Pure functions here; the file is read and written by run.ts.
 */
import { sha256 } from "../../core/runtime/io.ts";

/** A run's bits: its metrics (non-finite ones as strings), samples.csv's and the outputs' sha256. */
export interface RunBits {
  metrics: Record<string, number | string>;
  samples: string | null;
  /** sha256 of the sorted (output, sha256) pairs of every other output. */
  outputs: string;
}

/** The bits of a run from its summary's metrics and digests. */
export async function runBitsOf(
  r: {
    metrics: Record<string, number>;
    samplesSha256?: string | null;
    outputsSha256?: Record<string, string>;
  },
): Promise<RunBits> {
  const entries = Object.entries(r.outputsSha256 ?? {}).sort(([a], [b]) => a < b ? -1 : 1);
  return {
    metrics: Object.fromEntries(
      Object.keys(r.metrics).sort().map((k) => {
        const v = r.metrics[k];
        return [k, Number.isFinite(v) ? v : String(v)];
      }),
    ),
    samples: r.samplesSha256 ?? null,
    outputs: await sha256(JSON.stringify(entries)),
  };
}

/** What one field's change moved: samples.csv, metrics and other outputs, one sorted list. */
export interface Footprint {
  /** The change tried (the footprint of another change would be another). */
  to: unknown;
  moved: string[];
  /** The changed run's bits. */
  run: RunBits;
}

/** The file: one footprint per `<experiment> <field>` of every field with a change. */
export interface FootprintsFile {
  format: 1;
  note: string;
  footprints: Record<string, Footprint>;
}

/** The key of a field in the file. */
export function footprintKey(experiment: string, field: string): string {
  return `${experiment} ${field}`;
}

/** The moved list of a run pair: `samples.csv`, `metric <name>` and the other outputs' names. */
export function movedList(moved: { samples: boolean; metrics: string[]; outputs: string[] }) {
  return [
    ...(moved.samples ? ["samples.csv"] : []),
    ...moved.metrics.map((m) => `metric ${m}`),
    ...moved.outputs,
  ].sort();
}

/**
 * How `now` differs from `recorded`, in words, or null when they agree: a recorded output that no
 * longer moves (a reader lost the field), one that newly moves (the field reaches more than it
 * did), or another change tried.
 */
export function footprintProblem(recorded: Footprint | undefined, now: Footprint): string | null {
  if (!recorded) {
    return "no recorded footprint (a new field?): record it with deno task test:fields-update";
  }
  if (JSON.stringify(recorded.to) !== JSON.stringify(now.to)) {
    return `the change tried is now ${JSON.stringify(now.to)}, recorded ${
      JSON.stringify(recorded.to)
    }`;
  }
  const before = new Set(recorded.moved), after = new Set(now.moved);
  const lost = recorded.moved.filter((m) => !after.has(m));
  const gained = now.moved.filter((m) => !before.has(m));
  const list = (xs: string[]) =>
    xs.length > 6 ? `${xs.slice(0, 6).join(", ")} and ${xs.length - 6} more` : xs.join(", ");
  if (lost.length || gained.length) {
    return [
      lost.length ? `no longer moves ${list(lost)}` : "",
      gained.length ? `now also moves ${list(gained)}` : "",
    ].filter((s) => s).join("; ") + " (against fixtures/footprints.json)";
  }
  const differs = bitsDiffer(recorded.run, now.run);
  return differs.length
    ? `its changed run's bits differ from the recorded ones: ${
      list(differs)
    } (against fixtures/footprints.json)`
    : null;
}

/** What differs between two runs' bits, in words (a metric with both values). */
function bitsDiffer(a: RunBits, b: RunBits): string[] {
  const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  return [
    ...names.filter((k) => String(a.metrics[k]) !== String(b.metrics[k]))
      .map((k) => `metric ${k} ${a.metrics[k] ?? "(none)"} -> ${b.metrics[k] ?? "(none)"}`),
    ...(a.samples !== b.samples ? ["samples.csv"] : []),
    ...(a.outputs !== b.outputs ? ["other outputs"] : []),
  ];
}

/**
 * `text` read as a footprints file, or the reason it is not one (the first bad entry named): a
 * record edited by hand into another shape must not pass as "no difference".
 */
export function parseFootprints(text: string): FootprintsFile | string {
  let file: FootprintsFile;
  try {
    file = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (file?.format !== 1 || typeof file.footprints !== "object" || file.footprints === null) {
    return "not a footprints file of format 1 (fields format, note, footprints)";
  }
  const isStrings = (x: unknown) => Array.isArray(x) && x.every((m) => typeof m === "string");
  for (const [key, f] of Object.entries(file.footprints)) {
    const run = f?.run;
    const ok = f && "to" in f && isStrings(f.moved) && run && typeof run.metrics === "object" &&
      run.metrics !== null &&
      Object.values(run.metrics).every((v) => typeof v === "number" || typeof v === "string") &&
      (run.samples === null || typeof run.samples === "string") && typeof run.outputs === "string";
    if (!ok) {
      return `footprint "${key}": allowed: { to, moved: [names], run: { metrics, samples, outputs } }`;
    }
  }
  return file;
}

/** The recorded footprints no field of `checked` has any more (when every field was checked). */
export function staleKeys(file: FootprintsFile, checked: Set<string>): string[] {
  return Object.keys(file.footprints).filter((k) => !checked.has(k)).sort();
}
