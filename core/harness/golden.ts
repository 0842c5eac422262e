/**
 * Golden files: `fixtures/golden/<experiment>.<profile>.json` holds each metric with its tolerance
 * and the sha256 of `samples.csv`. A run is "bit-exact" when the hash and every metric are
 * identical, "within tolerance" when every metric is inside its band, and fails otherwise
 * ("regressed" when a metric moved the worse way, "changed" when it moved out of band the better way
 * or has no direction: the numbers no longer come back, so the golden must be renewed on purpose).
 */
import { join } from "node:path";
import { type MetricSpec, metricSpec, type ProfileName, type Tolerance } from "./experiment.ts";

/** A golden file's content. */
export interface Golden {
  experiment: string;
  profile: ProfileName;
  seed: number;
  configHash: string;
  samplesSha256: string | null;
  metrics: Record<string, { value: number; tolerance: Tolerance; better?: "lower" | "higher" }>;
}

/** One metric compared with its golden value. */
export interface MetricCheck {
  metric: string;
  golden: number;
  got: number;
  tolerance: Tolerance;
  ok: boolean;
  /** Set when out of band: "worse", "better" or "changed". */
  direction?: "worse" | "better" | "changed";
}

/** The verdict of a golden check. */
export type Verdict =
  | "bit-exact"
  | "within tolerance"
  | "regressed"
  | "changed"
  | "no golden"
  | "not compared"
  | "updated";

/** Verdicts that fail the run. */
export const FAILING_VERDICTS: Verdict[] = ["regressed", "changed"];

/** Result of comparing a run with its golden. */
export interface GoldenReport {
  verdict: Verdict;
  /** Why the run was not compared, or what was written. */
  reason?: string;
  checks: MetricCheck[];
}

/**
 * Path of the golden of an experiment, profile and seed: `<experiment>.<profile>.json` for the
 * experiment's own seed, `<experiment>.<profile>.seed<N>.json` for any other.
 */
export function goldenPath(
  root: string,
  experiment: string,
  profile: ProfileName,
  seed?: number,
  defaultSeed?: number,
): string {
  const suffix = seed === undefined || seed === defaultSeed ? "" : `.seed${seed}`;
  return join(root, "fixtures", "golden", `${experiment}.${profile}${suffix}.json`);
}

/** Read a golden, or null when there is none. */
export async function readGolden(path: string): Promise<Golden | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as Golden;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`golden file ${path} is unreadable: ${(e as Error).message}`);
  }
}

/** The golden of a finished run. */
export function makeGolden(
  experiment: string,
  profile: ProfileName,
  seed: number,
  configHash: string,
  samplesSha256: string | null,
  metrics: Record<string, number>,
  specs: Record<string, MetricSpec>,
): Golden {
  const out: Golden["metrics"] = {};
  for (const [name, value] of Object.entries(metrics)) {
    const spec = metricSpec(specs, name);
    if (!spec) throw new Error(`metric "${name}" of ${experiment} has no MetricSpec (tolerance)`);
    out[name] = {
      value,
      tolerance: spec.tolerance,
      ...(spec.better ? { better: spec.better } : {}),
    };
  }
  return { experiment, profile, seed, configHash, samplesSha256, metrics: out };
}

/** Is `got` within the band of `golden`? */
export function withinTolerance(got: number, golden: number, t: Tolerance): boolean {
  return Math.abs(got - golden) <= (t.abs ?? 0) + (t.rel ?? 0) * Math.abs(golden);
}

/** Compare a run with its golden (which must be for the same seed and config). */
export function compareGolden(
  golden: Golden,
  metrics: Record<string, number>,
  samplesSha256: string | null,
): GoldenReport {
  const checks: MetricCheck[] = [];
  for (const [metric, g] of Object.entries(golden.metrics)) {
    const got = metrics[metric];
    if (got === undefined) {
      checks.push({
        metric,
        golden: g.value,
        got: NaN,
        tolerance: g.tolerance,
        ok: false,
        direction: "changed",
      });
      continue;
    }
    const ok = withinTolerance(got, g.value, g.tolerance);
    const check: MetricCheck = { metric, golden: g.value, got, tolerance: g.tolerance, ok };
    if (!ok) {
      const up = got > g.value;
      check.direction = !g.better ? "changed" : (g.better === "higher") === up ? "better" : "worse";
    }
    checks.push(check);
  }
  for (const metric of Object.keys(metrics)) {
    if (!(metric in golden.metrics)) {
      checks.push({
        metric,
        golden: NaN,
        got: metrics[metric],
        tolerance: {},
        ok: false,
        direction: "changed",
      });
    }
  }
  const failed = checks.filter((c) => !c.ok);
  const exact = failed.length === 0 && samplesSha256 === golden.samplesSha256 &&
    checks.every((c) => c.got === c.golden);
  const verdict: Verdict = failed.some((c) => c.direction === "worse")
    ? "regressed"
    : failed.length > 0
    ? "changed"
    : exact
    ? "bit-exact"
    : "within tolerance";
  return { verdict, checks };
}

/** A readable table of the metrics out of band (or all, with `all`). */
export function formatDiff(report: GoldenReport, all = false): string {
  const rows = report.checks.filter((c) => all || !c.ok);
  if (rows.length === 0) return "";
  const fmt = (v: number) => (Number.isNaN(v) ? "-" : Number(v.toPrecision(6)).toString());
  const tol = (t: Tolerance) =>
    [t.abs !== undefined ? `abs ${t.abs}` : "", t.rel !== undefined ? `rel ${t.rel}` : ""]
      .filter(Boolean).join(" + ") || "exact";
  const table = [["metric", "golden", "got", "tolerance", ""]].concat(
    rows.map((
      c,
    ) => [
      c.metric,
      fmt(c.golden),
      fmt(c.got),
      tol(c.tolerance),
      c.ok ? "ok" : `OUT (${c.direction})`,
    ]),
  );
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => "  " + r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd()).join(
    "\n",
  );
}
