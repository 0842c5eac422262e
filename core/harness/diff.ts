/**
 * `deno task diff A B`: what changed between two runs of the harness. A side is a report site
 * (a `reproduce` or `merge` output folder: its `summary.json` and run folders) or a set of goldens
 * (`fixtures/golden`: each golden's default-seed run). For every experiment and profile both sides
 * hold, each metric's two values, their difference and the verdict of the quality rule:
 *
 * - seed-gated metrics: the difference of two single runs has standard deviation s sqrt(2), s the
 *   seed-to-seed spread of the experiment's golden (n seeds); |B - A| / (s sqrt(2)) beyond the t
 *   quantile 0.995 (n - 1 degrees of freedom) is "improved" or "regressed" by the metric's direction,
 *   else "within seed noise" ("no seed spread" without a golden);
 * - exact metrics: "same" within the rounding band of their precision, else "changed";
 * - reported metrics: "reported".
 *
 * Bad input (a folder that is neither, no experiment in common, the same experiment at different
 * profiles) is a {@link ConfigError} naming the folder.
 */
import { join, relative } from "node:path";
import { ConfigError } from "../spec/rules.ts";
import { type Golden, GoldenFileError, readGolden } from "./golden.ts";
import { type GoldenGate, NUMERIC_BANDS } from "./gate.ts";
import { studentTQuantile, summary } from "../metrics/statistics.ts";
import { checkRead, SandboxError } from "../runtime/sandbox.ts";
import { changedOutputs } from "./outputs.ts";

/** One run of one side. */
export interface SideRun {
  experiment: string;
  profile: "quick" | "full";
  seed: number;
  metrics: Record<string, number>;
  samplesSha256: string | null;
  /** The sha256 of its other outputs (`outputs.ts`), when the side records them. */
  outputsSha256?: Record<string, string>;
  /** Its samples (flat, `dim` per row), when the side is a site with samples.csv. */
  samples?: { x: Float32Array; dim: number };
}

/** A side of the comparison: its runs by `experiment.profile`. */
export interface Side {
  label: string;
  kind: "site" | "goldens";
  runs: Map<string, SideRun>;
}

/** The verdict on one metric. */
export type MetricVerdict =
  | "same"
  | "within seed noise"
  | "improved"
  | "regressed"
  | "changed"
  | "reported"
  | "no seed spread"
  | "only in A"
  | "only in B";

/** One metric's row. */
export interface MetricDiff {
  metric: string;
  a?: number;
  b?: number;
  verdict: MetricVerdict;
  /** How it was judged, in words. */
  rule: string;
}

/** One experiment and profile present on both sides. */
export interface RunDiff {
  experiment: string;
  profile: string;
  seeds: [number, number];
  sameSamples: boolean;
  /** The other outputs whose sha256 differs between A and B (null: a side has no digests). */
  outputsMoved: string[] | null;
  rows: MetricDiff[];
  a: SideRun;
  b: SideRun;
}

const key = (r: { experiment: string; profile: string }) => `${r.experiment}.${r.profile}`;

function parseCsv(text: string): { x: Float32Array; dim: number } {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].split(",");
  const dim = header.filter((h) => h === "x" || h === "y").length;
  const x = new Float32Array((lines.length - 1) * dim);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(",");
    for (let d = 0; d < dim; d++) x[(i - 1) * dim + d] = Number(cells[d]);
  }
  return { x, dim };
}

/** Read a side: a report site or a folder of goldens. */
export async function readSide(path: string, root: string): Promise<Side> {
  const label = relative(root, path) || ".";
  let isDir = false;
  try {
    isDir = (await Deno.stat(checkRead(path, "folder"))).isDirectory;
  } catch (e) {
    if (e instanceof SandboxError) throw new ConfigError(label, label, e.message);
    throw new ConfigError(label, label, "an existing folder (a report site or fixtures/golden)");
  }
  if (!isDir) throw new ConfigError(label, label, "a folder (a report site or fixtures/golden)");
  const runs = new Map<string, SideRun>();
  let summaryText: string | undefined;
  try {
    summaryText = await Deno.readTextFile(join(path, "summary.json"));
  } catch { /* not a site */ }
  if (summaryText !== undefined) {
    let s: { experiments?: unknown };
    try {
      s = JSON.parse(summaryText);
    } catch {
      throw new ConfigError(label, label, "a report site whose summary.json is JSON");
    }
    if (!Array.isArray(s.experiments)) {
      throw new ConfigError(label, label, "a report site whose summary.json lists experiments");
    }
    for (const e of s.experiments as Record<string, unknown>[]) {
      if (e.runId || typeof e.metrics !== "object" || !e.metrics) continue; // sweep runs, failures
      const run: SideRun = {
        experiment: String(e.name),
        profile: e.profile as SideRun["profile"],
        seed: Number(e.seed),
        metrics: e.metrics as Record<string, number>,
        samplesSha256: (e.samplesSha256 as string | null) ?? null,
        outputsSha256: e.outputsSha256 as Record<string, string> | undefined,
      };
      if (!/^[a-z0-9-]+$/.test(run.experiment) || typeof e.folder !== "string") {
        throw new ConfigError(
          label,
          run.experiment,
          "experiment names and folders in summary.json",
        );
      }
      try {
        run.samples = parseCsv(
          await Deno.readTextFile(checkRead(join(path, e.folder, "samples.csv"), "samples")),
        );
      } catch { /* an experiment without samples */ }
      runs.set(key(run), run);
    }
    return { label, kind: "site", runs };
  }
  for await (const f of Deno.readDir(path)) {
    const m = /^([a-z0-9-]+)\.(quick|full)\.json$/.exec(f.name);
    if (!m) continue;
    let g: Golden | null;
    try {
      g = await readGolden(join(path, f.name), m[1], m[2] as SideRun["profile"], root);
    } catch (e) {
      if (e instanceof GoldenFileError) throw new ConfigError(label, f.name, e.message);
      throw e;
    }
    const run = g?.runs.find((r) => r.seed === g!.seed);
    if (!g || !run) continue;
    runs.set(`${m[1]}.${m[2]}`, {
      experiment: m[1],
      profile: m[2] as SideRun["profile"],
      seed: run.seed,
      metrics: run.metrics,
      samplesSha256: run.samplesSha256,
      outputsSha256: run.outputsSha256,
    });
  }
  if (!runs.size) {
    throw new ConfigError(
      label,
      label,
      "a report site (with summary.json) or a folder of goldens (<experiment>.<profile>.json)",
    );
  }
  return { label, kind: "goldens", runs };
}

/** The verdict on one metric of two single runs; `spread` is the golden's seed distribution. */
export function compareMetric(
  gate: GoldenGate | undefined,
  a: number,
  b: number,
  spread?: number[],
): { verdict: MetricVerdict; rule: string } {
  if (!gate || gate.kind === "report") return { verdict: "reported", rule: "not gated" };
  if (gate.kind === "exact") {
    const band = NUMERIC_BANDS[gate.precision];
    const tol = band.abs + band.rel * Math.abs(a);
    return Math.abs(b - a) <= tol
      ? { verdict: "same", rule: `within ${gate.precision} rounding (${tol.toExponential(1)})` }
      : { verdict: "changed", rule: `beyond ${gate.precision} rounding (${tol.toExponential(1)})` };
  }
  if (a === b) return { verdict: "same", rule: "equal" };
  if (!spread || spread.length < 2) return { verdict: "no seed spread", rule: "no golden spread" };
  const s = summary(spread);
  const worse = gate.better === "lower" ? b > a : b < a;
  if (s.sd === 0) {
    return { verdict: worse ? "regressed" : "improved", rule: "the golden's seeds agree exactly" };
  }
  const t = Math.abs(b - a) / (s.sd * Math.SQRT2), crit = studentTQuantile(0.995, s.n - 1);
  const rule = `|Δ| / (sd √2) = ${t.toFixed(2)} against ${crit.toFixed(2)} (sd ${
    s.sd.toPrecision(3)
  } over ${s.n} seeds)`;
  if (t <= crit) return { verdict: "within seed noise", rule };
  return { verdict: worse ? "regressed" : "improved", rule };
}

/**
 * Every experiment and profile of both sides, metric by metric; `goldens` gives each metric's gate
 * and seed spread (the gates of B's golden, else A's).
 */
export function diffSides(
  A: Side,
  B: Side,
  goldens: (experiment: string, profile: string) => Golden | null,
): RunDiff[] {
  const common = [...A.runs.keys()].filter((k) => B.runs.has(k)).sort();
  if (!common.length) {
    for (const a of A.runs.values()) {
      const b = [...B.runs.values()].find((r) => r.experiment === a.experiment);
      if (b) {
        throw new ConfigError(
          B.label,
          `${a.experiment} at profile ${b.profile}`,
          `runs of the same profile: ${A.label} holds ${a.experiment} at profile ${a.profile}`,
        );
      }
    }
    const names = (s: Side) => [...s.runs.keys()].join(", ");
    throw new ConfigError(
      B.label,
      names(B),
      `at least one experiment and profile in common with ${A.label} (${names(A)})`,
    );
  }
  return common.map((k) => {
    const a = A.runs.get(k)!, b = B.runs.get(k)!;
    const g = goldens(a.experiment, a.profile);
    const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])];
    const rows = names.map((metric): MetricDiff => {
      const va = a.metrics[metric], vb = b.metrics[metric];
      if (va === undefined) return { metric, b: vb, verdict: "only in B", rule: "" };
      if (vb === undefined) return { metric, a: va, verdict: "only in A", rule: "" };
      const spread = g?.runs.map((r) => r.metrics[metric]).filter((v) => Number.isFinite(v));
      return { metric, a: va, b: vb, ...compareMetric(g?.gates[metric], va, vb, spread) };
    });
    return {
      experiment: a.experiment,
      profile: a.profile,
      seeds: [a.seed, b.seed],
      sameSamples: a.samplesSha256 !== null && a.samplesSha256 === b.samplesSha256,
      outputsMoved: outputsMoved(a.outputsSha256, b.outputsSha256),
      rows,
      a,
      b,
    };
  });
}

/** The outputs whose sha256 differs or that one side lacks (null when a side has no digests). */
function outputsMoved(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): string[] | null {
  return a && b ? changedOutputs(a, b) : null;
}

/** Format a number for the tables. */
export function fmt(v: number | undefined): string {
  if (v === undefined) return "–";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 || v === 0
    ? String(Number(v.toPrecision(5)))
    : v.toExponential(3);
}

/** The Markdown summary (a GitHub job summary or pull-request comment). */
export function diffMarkdown(A: Side, B: Side, diffs: RunDiff[]): string {
  const lines = [`## scorelab diff: \`${A.label}\` → \`${B.label}\``, ""];
  const flagged = diffs.flatMap((d) => d.rows.filter((r) => r.verdict === "regressed"));
  lines.push(
    `${diffs.length} experiment run(s) compared; ${flagged.length} metric(s) regressed beyond seed noise.`,
    "",
  );
  for (const d of diffs) {
    const moved = d.rows.filter((r) => !["same", "reported"].includes(r.verdict));
    lines.push(
      `### ${d.experiment} (${d.profile}, seeds ${d.seeds[0]} → ${d.seeds[1]})${
        d.sameSamples ? " · samples bit-exact" : ""
      }`,
      "",
    );
    if (d.outputsMoved?.length) {
      lines.push(`outputs whose sha256 differs: ${d.outputsMoved.join(", ")}`, "");
    }
    if (!moved.length) {
      lines.push("every gated metric the same", "");
      continue;
    }
    lines.push("| metric | A | B | Δ | verdict |", "| --- | ---: | ---: | ---: | --- |");
    for (const r of moved) {
      const delta = r.a !== undefined && r.b !== undefined ? fmt(r.b - r.a) : "–";
      const v = r.verdict === "regressed" ? `**${r.verdict}**` : r.verdict;
      lines.push(`| \`${r.metric}\` | ${fmt(r.a)} | ${fmt(r.b)} | ${delta} | ${v} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
