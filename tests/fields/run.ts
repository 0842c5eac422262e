/**
 * `deno task test:fields [--only a,b] [--field path] [--workers N]`: every field of every
 * experiment's config reaches what its run computes, and no batch size changes a bit.
 *
 * A recipe option lost between the config and the network it trains (an EMA computed but not
 * sampled with, a weight decay dropped, a projection ignored) moves quick samples by less than
 * their seed-to-seed spread: the golden's quality layer cannot see it, and the golden's bits
 * cannot either, since they were recorded with the bug. This check sees the whole class: for
 * each leaf of an experiment's quick config, one run (the experiment's own seed) with that field
 * changed to another value its rules allow (`change.ts`: the first candidate the config's checks
 * accept), beside the run without the change, and what moved is held to what the field is for
 * (`expect.ts`):
 * - `numbers` (every field unless declared): the metrics or samples.csv change. If neither does,
 *   the field is lost on its way to what the run computes.
 * - `figures` (fields that only choose what a figure shows): a chart's data, a file or the details
 *   change, and neither the metrics nor samples.csv do (a figure drawing from the samples' stream
 *   would shift them).
 * - `invariant` (how work is cut into batches): nothing changes, bit for bit.
 * A field read only when another field says so is checked with that field set (`with`). A field
 * with no change that its rules and checks accept fails, as does a run that fails.
 * Then each field's footprint (everything its change moved, and the changed run's bits) is held to
 * the one recorded in fixtures/footprints.json (`footprint.ts`): an option lost by one of two
 * readers, or still reaching a check but no longer the samples, moves less than it did; one that
 * acts wrongly away from its quick value changes the changed run's bits. `--update` records them.
 * Results: reports/fields.json and a table; exit 1 when any field fails.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { EXPERIMENTS } from "../../experiments/mod.ts";
import type { AnyExperiment } from "../../core/harness/experiment.ts";
import { type Plan, plan } from "../../core/harness/plan.ts";
import { runPlans, type RunSummary, terminateWorkers } from "../../core/harness/runner.ts";
import { changedOutputs } from "../../core/harness/outputs.ts";
import { ConfigError } from "../../core/spec/rules.ts";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { confine } from "../../core/runtime/sandbox.ts";
import { writeJsonAtomic } from "../../core/runtime/io.ts";
import { changesOf, type Field, fieldsOf, isFixed } from "./change.ts";
import { type Expectation, expectationOf } from "./expect.ts";
import {
  type Footprint,
  footprintKey,
  footprintProblem,
  type FootprintsFile,
  movedList,
  parseFootprints,
  runBitsOf,
  staleKeys,
} from "./footprint.ts";

/** The recorded footprints (`footprint.ts`). */
const FOOTPRINTS = join(PROJECT_ROOT, "fixtures", "footprints.json");

/** One field's check: the change tried and what moved. */
interface Outcome {
  experiment: string;
  field: string;
  /** `fixed`: the field's rule allows one value only (a constant of the experiment, shown). */
  expect: Expectation["expect"] | "fixed";
  why?: string;
  with?: Record<string, unknown>;
  from: unknown;
  to?: unknown;
  /** Metrics whose value changed, and whether samples.csv did. */
  metrics?: string[];
  samples?: boolean;
  /** Other outputs (files, charts' data, details) that changed. */
  outputs?: string[];
  /** The change and everything it moved, held to the recorded one. */
  footprint?: Footprint;
  ok: boolean;
  problem?: string;
}

/** The first change of `f` (the declared one, else its candidates) the experiment accepts. */
async function acceptedChange(
  exp: AnyExperiment,
  f: Field,
  base: Record<string, unknown>,
  declared: unknown,
): Promise<{ to: unknown; plan: Plan } | null> {
  const tries = declared !== undefined ? [declared] : changesOf(f.rule, f.value);
  for (const to of tries) {
    try {
      const [p] = await plan(PROJECT_ROOT, [exp], "quick", {
        overrides: { [exp.name]: { ...base, [f.path]: to } },
      });
      return { to, plan: p };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
    }
  }
  return null;
}

/** The metrics whose values differ (or that one run lacks), sorted. */
function changedMetrics(a: Record<string, number>, b: Record<string, number>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !Object.is(a[k], b[k])).sort();
}

/** Hold what moved between `base` and `changed` to the field's expectation. */
async function judge(o: Outcome, base: RunSummary, changed: RunSummary): Promise<Outcome> {
  if (base.error || changed.error) {
    return { ...o, ok: false, problem: `run failed: ${changed.error ?? base.error}` };
  }
  const metrics = changedMetrics(base.metrics, changed.metrics);
  const samples = base.samplesSha256 !== changed.samplesSha256;
  const outputs = changedOutputs(base.outputsSha256 ?? {}, changed.outputsSha256 ?? {});
  const numbers = metrics.length > 0 || samples;
  const moved = {
    metrics,
    samples,
    outputs,
    footprint: {
      to: o.to,
      moved: movedList({ samples, metrics, outputs }),
      run: await runBitsOf(changed),
    },
  };
  switch (o.expect) {
    case "numbers":
      return numbers ? { ...o, ...moved, ok: true } : {
        ...o,
        ...moved,
        ok: false,
        problem: "neither a metric nor samples.csv changed: the field does not reach the run",
      };
    case "figures":
      if (numbers) {
        return { ...o, ...moved, ok: false, problem: "a figure's field changed the numbers" };
      }
      return outputs.length ? { ...o, ...moved, ok: true } : {
        ...o,
        ...moved,
        ok: false,
        problem: "no output changed: the field does not reach its figure",
      };
    case "fixed":
      return { ...o, ok: true };
    case "invariant":
      return numbers || outputs.length
        ? { ...o, ...moved, ok: false, problem: "a batch size changed the outputs" }
        : { ...o, ...moved, ok: true };
  }
}

/** Check every field of `experiments` on `workers` workers; the outcomes in config order. */
export async function checkFields(
  experiments: AnyExperiment[],
  o: { workers: number; only?: string; outDir: string },
): Promise<Outcome[]> {
  // Each context (an experiment with a `with` patch, or none) has one unchanged run.
  const plans: Plan[] = [];
  const contexts = new Map<string, number>();
  const pending: { outcome: Outcome; base: number; changed?: number }[] = [];
  const add = (p: Plan) => {
    const runId = `fields-${plans.length}`;
    plans.push({ ...p, runId, folder: `${p.exp.name}/fields/${runId}` });
    return plans.length - 1;
  };
  for (const exp of experiments) {
    for (const f of fieldsOf(exp.schema, exp.profiles.quick)) {
      if (o.only && f.path !== o.only) continue;
      const e = expectationOf(exp.name, f.path);
      const base = e.with ?? {};
      const key = `${exp.name} ${JSON.stringify(base)}`;
      if (!contexts.has(key)) {
        const [p] = await plan(PROJECT_ROOT, [exp], "quick", { overrides: { [exp.name]: base } });
        contexts.set(key, add(p));
      }
      const outcome: Outcome = {
        experiment: exp.name,
        field: f.path,
        expect: e.expect,
        ...(e.why ? { why: e.why } : {}),
        ...(e.with ? { with: e.with } : {}),
        from: f.value,
        ok: false,
      };
      if (isFixed(f.rule)) {
        pending.push({
          outcome: { ...outcome, expect: "fixed", why: "its rule allows one value", ok: true },
          base: contexts.get(key)!,
        });
        continue;
      }
      const change = await acceptedChange(exp, f, base, e.value);
      if (!change) {
        pending.push({
          outcome: { ...outcome, problem: "no other value passes its rules and checks" },
          base: contexts.get(key)!,
        });
        continue;
      }
      pending.push({
        outcome: { ...outcome, to: change.to },
        base: contexts.get(key)!,
        changed: add(change.plan),
      });
    }
  }
  console.error(`test:fields: ${pending.length} fields, ${plans.length} runs`);
  const costs = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, "fixtures/costs.json")));
  const cost = (key: string) => costs.costs[key.split("/")[0]]?.quick ?? 1;
  const summaries = await runPlans(
    plans,
    { root: PROJECT_ROOT, outDir: o.outDir, progress: "silent" },
    new Map(),
    null,
    {
      count: o.workers,
      module: new URL("../../experiments/worker.ts", import.meta.url).href,
    },
    cost,
  );
  const byFolder = new Map(summaries.map((s) => [s.folder, s]));
  const summaryOf = (i: number) => byFolder.get(plans[i].folder)!;
  return await Promise.all(
    pending.map(({ outcome, base, changed }) =>
      changed === undefined ? outcome : judge(outcome, summaryOf(base), summaryOf(changed))
    ),
  );
}

/**
 * Hold each outcome's footprint to `file`'s: a difference fails the field (its problem added to
 * any it has). `all`: every field was checked, so a recorded field no outcome has is stale.
 */
export function holdFootprints(
  outcomes: Outcome[],
  file: FootprintsFile,
  all: boolean,
): { outcomes: Outcome[]; stale: string[] } {
  const held = outcomes.map((o) => {
    if (!o.footprint) return o;
    const problem = footprintProblem(
      file.footprints[footprintKey(o.experiment, o.field)],
      o.footprint,
    );
    if (!problem) return o;
    return { ...o, ok: false, problem: o.problem ? `${o.problem}; ${problem}` : problem };
  });
  const checked = new Set(outcomes.map((o) => footprintKey(o.experiment, o.field)));
  return { outcomes: held, stale: all ? staleKeys(file, checked) : [] };
}

/**
 * The recorded footprints (an empty record when the file does not exist yet: every field then
 * fails as unrecorded); a file that is not a footprints file exits 2, naming it and why.
 */
async function readFootprints(): Promise<FootprintsFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(FOOTPRINTS);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { format: 1, note: "", footprints: {} };
    throw e;
  }
  const file = parseFootprints(text);
  if (typeof file === "string") {
    console.error(
      `test:fields: ${FOOTPRINTS}: ${file}; renew it with deno task test:fields-update`,
    );
    Deno.exit(2);
  }
  return file;
}

/** `file` with the footprints of `outcomes` that met their expectation recorded (others kept). */
function recorded(file: FootprintsFile, outcomes: Outcome[], all: boolean): FootprintsFile {
  const footprints: Record<string, Footprint> = all ? {} : { ...file.footprints };
  for (const o of outcomes) {
    if (o.footprint && o.ok) footprints[footprintKey(o.experiment, o.field)] = o.footprint;
  }
  return {
    format: 1,
    note: "What each config field's change moves in its quick run, and that run's bits (deno " +
      "task test:fields holds them; deno task test:fields-update records them). A field that " +
      "loses an output lost a reader; a changed run's bits are a golden of its configuration.",
    footprints: Object.fromEntries(Object.entries(footprints).sort(([a], [b]) => a < b ? -1 : 1)),
  };
}

if (import.meta.main) {
  const usage = (message: string): never => {
    console.error(
      `test:fields: ${message}\nusage: deno task test:fields [--only a,b] [--field path] [--workers N]`,
    );
    Deno.exit(2);
  };
  let values: { only?: string; field?: string; workers: string; update: boolean } = {
    workers: "2",
    update: false,
  };
  try {
    values = parseArgs({
      args: Deno.args,
      options: {
        only: { type: "string" },
        field: { type: "string" },
        workers: { type: "string", default: "2" },
        update: { type: "boolean", default: false },
      },
    }).values as typeof values;
  } catch (e) {
    usage((e as Error).message);
  }
  const names = values.only?.split(",");
  const unknown = names?.filter((n) => !EXPERIMENTS.some((e) => e.name === n)) ?? [];
  if (unknown.length) {
    usage(
      `--only: unknown ${unknown.join(", ")}; known: ${EXPERIMENTS.map((e) => e.name).join(", ")}`,
    );
  }
  if (!/^\d+$/.test(values.workers) || Number(values.workers) > 64) {
    usage(`--workers: got ${JSON.stringify(values.workers)}; allowed: an integer in [0, 64]`);
  }
  const experiments = names ? EXPERIMENTS.filter((e) => names.includes(e.name)) : EXPERIMENTS;
  const paths = new Set(
    experiments.flatMap((e) => fieldsOf(e.schema, e.profiles.quick)).map((f) => f.path),
  );
  if (values.field !== undefined && !paths.has(values.field)) {
    usage(
      `--field: got ${
        JSON.stringify(values.field)
      }; allowed: a field of the selected experiments (${[...paths].join(", ")})`,
    );
  }
  const outDir = join(PROJECT_ROOT, "reports", "fields");
  confine({
    read: [PROJECT_ROOT],
    write: [
      join(PROJECT_ROOT, "reports"),
      ...(values.update ? [join(PROJECT_ROOT, "fixtures")] : []),
    ],
    shown: PROJECT_ROOT,
  });
  const file = await readFootprints();
  const start = performance.now();
  const checked = await checkFields(experiments, {
    workers: Number(values.workers),
    only: values.field,
    outDir,
  });
  terminateWorkers();
  const all = !names && values.field === undefined;
  const { outcomes, stale } = values.update
    ? { outcomes: checked, stale: [] }
    : holdFootprints(checked, file, all);
  if (values.update) {
    await writeJsonAtomic(FOOTPRINTS, recorded(file, checked, all));
    console.log(
      `recorded the footprints of ${
        checked.filter((o) => o.footprint && o.ok).length
      } fields in ${FOOTPRINTS}`,
    );
  }
  const seconds = (performance.now() - start) / 1000;
  for (const r of outcomes) {
    const moved = [
      ...(r.samples ? ["samples"] : []),
      ...(r.metrics ?? []),
      ...(r.outputs ?? []),
    ];
    console.log(
      `${r.ok ? "ok  " : "FAIL"} ${r.experiment} ${r.field} (${r.expect}) ${
        JSON.stringify(r.from)
      } -> ${JSON.stringify(r.to)}: ${r.problem ?? `moved ${moved.length}`}`.slice(0, 220),
    );
  }
  for (const k of stale) {
    console.log(
      `FAIL ${k}: a recorded footprint of no field (renew with deno task test:fields-update)`,
    );
  }
  const failed = outcomes.filter((r) => !r.ok);
  await writeJsonAtomic(join(PROJECT_ROOT, "reports", "fields.json"), {
    seconds,
    fields: outcomes.length,
    failed: failed.length,
    stale,
    outcomes,
  });
  console.log(
    `\n${outcomes.length - failed.length}/${outcomes.length} fields reach what they are for, ` +
      (values.update ? "footprints recorded" : "each footprint as recorded") +
      ` (${seconds.toFixed(0)} s)`,
  );
  Deno.exit(failed.length || stale.length ? 1 : 0);
}
