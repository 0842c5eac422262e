/**
 * Golden files: `fixtures/golden/<experiment>.<profile>.json` is the contract of an experiment and
 * profile. It holds, for every seed of the profile's sweep (seeds 0..n-1), every metric, the
 * sha256 of `samples.csv` and of every other output (`outputs.ts`: files, charts' data, details),
 * plus each metric's gate and the sensitivity analysis; the experiment's own seed is the default
 * run's reference.
 *
 * Two layers judge a run (this file holds the first; `gate.ts` the second):
 * - reproducibility: a run of the profile's own config comes back bit for bit ("bit-exact") or not
 *   ("changed", with the metrics that moved); a run of the default plan whose config differs from
 *   the golden's is "stale" (the golden must be renewed on purpose); runs with `--set` overrides or
 *   a seed the golden lacks are "not compared";
 * - quality: the run against the seed-to-seed distribution (`gate.ts`).
 */
import { join, relative } from "node:path";
import type { ProfileName } from "./experiment.ts";
import type { GoldenGate, QualityJudgement } from "./gate.ts";
import { canonicalJson, sha256 } from "../runtime/io.ts";
import { checkRead, SandboxError } from "../runtime/sandbox.ts";
import { changedOutputs } from "./outputs.ts";

/** One seed's figures in a golden. */
export interface GoldenRun {
  seed: number;
  metrics: Record<string, number>;
  samplesSha256: string | null;
  /** The sha256 of every other output, by name (`outputs.ts`). */
  outputsSha256: Record<string, string>;
  /** The sample metrics of each degradation of this seed's samples (null: not applicable). */
  sensitivity?: Record<string, Record<string, number> | null>;
}

/** Why and how a golden was last renewed. */
export interface Renewal {
  /** The reason given for a renewal whose quality regressed (null when it did not). */
  reason: string | null;
  /** The quality verdict against the previous golden ("ok", "regressed", "no previous golden"). */
  quality: string;
}

/** A golden file's content. */
export interface Golden {
  format: 4;
  experiment: string;
  profile: ProfileName;
  /** The default run's seed (the experiment's own). */
  seed: number;
  configHash: string;
  gates: Record<string, GoldenGate>;
  /** Every seed of the profile's sweep, in seed order. */
  runs: GoldenRun[];
  renewal: Renewal;
  /**
   * sha256 of the canonical JSON of every other field, written by update-golden: a value edited by
   * hand (a band widened, a regression hidden) no longer matches it and the file is refused.
   */
  contentSha256: string;
}

/** A golden's content before {@link sealGolden} adds its digest. */
export type GoldenContent = Omit<Golden, "contentSha256">;

/** A golden file that cannot be used; names the file. */
export class GoldenFileError extends Error {
  override name = "GoldenFileError";
}

/** Path of the golden of an experiment and profile. */
export function goldenPath(root: string, experiment: string, profile: ProfileName): string {
  return join(root, "fixtures", "golden", `${experiment}.${profile}.json`);
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Check a parsed golden's shape; returns what is wrong, or null. */
function problem(g: unknown, experiment: string, profile: ProfileName): string | null {
  if (!isObj(g)) return "not a JSON object";
  if (g.format !== 4) return `format ${JSON.stringify(g.format)} (expected 4: renew it)`;
  if (g.experiment !== experiment) return `it is for experiment ${JSON.stringify(g.experiment)}`;
  if (g.profile !== profile) return `it is for profile ${JSON.stringify(g.profile)}`;
  if (!Number.isSafeInteger(g.seed)) return "no integer seed";
  if (typeof g.configHash !== "string") return "no configHash";
  if (!isObj(g.gates)) return "no gates";
  for (const [k, v] of Object.entries(g.gates)) {
    if (!isObj(v) || !["seeds", "exact", "report"].includes(v.kind as string)) {
      return `gate of ${k} is not one of seeds, exact, report`;
    }
  }
  if (!Array.isArray(g.runs) || g.runs.length === 0) return "no runs";
  for (const r of g.runs) {
    if (!isObj(r) || !Number.isSafeInteger(r.seed) || !isObj(r.metrics)) {
      return "a run lacks seed or metrics";
    }
    for (const [k, v] of Object.entries(r.metrics)) {
      if (!isNum(v)) return `seed ${r.seed}: metric ${k} is not a finite number`;
    }
    if (r.samplesSha256 !== null && typeof r.samplesSha256 !== "string") {
      return `seed ${r.seed}: samplesSha256 is not a string`;
    }
    if (
      !isObj(r.outputsSha256) || !Object.values(r.outputsSha256).every((h) => typeof h === "string")
    ) {
      return `seed ${r.seed}: outputsSha256 is not an object of sha256 strings`;
    }
  }
  if (!g.runs.some((r) => (r as GoldenRun).seed === g.seed)) {
    return `no run of its own seed ${g.seed}`;
  }
  if (!isObj(g.renewal)) return "no renewal record";
  if (typeof g.contentSha256 !== "string") return "no contentSha256 (renew it)";
  return null;
}

/** The digest a golden carries: sha256 of the canonical JSON of every field but the digest. */
export async function goldenDigest(g: GoldenContent): Promise<string> {
  const { contentSha256: _, ...content } = g as Golden;
  return await sha256(canonicalJson(content));
}

/** A golden with its {@link goldenDigest}: the form update-golden writes. */
export async function sealGolden(g: GoldenContent): Promise<Golden> {
  return { ...g, contentSha256: await goldenDigest(g) };
}

/** Read and check a golden; null when there is none; a {@link GoldenFileError} when unusable. */
export async function readGolden(
  path: string,
  experiment: string,
  profile: ProfileName,
  root?: string,
): Promise<Golden | null> {
  const where = root ? relative(root, path) : path;
  let text: string;
  try {
    text = await Deno.readTextFile(checkRead(path, "golden file"));
  } catch (e) {
    if (e instanceof SandboxError) throw new GoldenFileError(e.message);
    if (e instanceof Deno.errors.NotFound) return null;
    throw new GoldenFileError(`golden file ${where} is unreadable (${(e as Error).name})`);
  }
  let g: unknown;
  try {
    g = JSON.parse(text);
  } catch {
    throw new GoldenFileError(
      `golden file ${where} is not valid JSON (truncated or edited by hand?): restore it with git or renew it with update-golden`,
    );
  }
  const p = problem(g, experiment, profile);
  if (p) throw new GoldenFileError(`golden file ${where} is unusable: ${p}`);
  if (await goldenDigest(g as Golden) !== (g as Golden).contentSha256) {
    throw new GoldenFileError(
      `golden file ${where} was edited by hand: its content no longer matches its contentSha256 (update-golden writes both): restore it with git or renew it with update-golden`,
    );
  }
  return g as Golden;
}

/** The golden's run of `seed`, if it has one. */
export function goldenRun(g: Golden, seed: number): GoldenRun | undefined {
  return g.runs.find((r) => r.seed === seed);
}

/** The reproducibility layer's verdict. */
export type Reproducibility =
  | "bit-exact"
  | "changed"
  | "stale"
  | "no golden"
  | "not compared"
  | "updated";

/** A metric whose value is not the golden's. */
export interface MetricDiff {
  metric: string;
  /** NaN when the golden lacks it. */
  golden: number;
  /** NaN when the run lacks it. */
  got: number;
}

/** The reproducibility layer's result. */
export interface ReproCheck {
  verdict: Reproducibility;
  reason?: string;
  diffs: MetricDiff[];
  samplesChanged?: boolean;
  /** The outputs besides the samples whose sha256 differs (or that one side lacks). */
  outputsChanged?: string[];
}

/** A run's digests: `samples.csv`'s sha256 and every other output's (`outputs.ts`). */
export interface RunDigests {
  samplesSha256: string | null;
  outputsSha256: Record<string, string>;
}

/** What identifies a run for the comparison. */
export interface RunIdentity {
  seed: number;
  configHash: string;
  /** The run has `--set` overrides: its config is not the profile's. */
  overridden: boolean;
  /**
   * The gates the experiment's metric specs give the golden's metrics today (a change of gate is a
   * change of contract).
   */
  gates?: Record<string, GoldenGate>;
}

/** Compare a run's numbers with the golden (reproducibility layer). */
export function compareRun(
  golden: Golden | null,
  id: RunIdentity,
  metrics: Record<string, number>,
  digests: RunDigests,
): ReproCheck {
  if (!golden) return { verdict: "no golden", reason: "no golden file", diffs: [] };
  if (id.overridden) {
    return {
      verdict: "not compared",
      reason: "--set overrides: the golden is for the profile's own config",
      diffs: [],
    };
  }
  if (id.configHash !== golden.configHash) {
    return {
      verdict: "stale",
      reason:
        "stale golden: the config changed since the golden was written; renew it with update-golden and say why",
      diffs: [],
    };
  }
  if (id.gates && canonicalJson(id.gates) !== canonicalJson(golden.gates)) {
    const changed = [...new Set([...Object.keys(id.gates), ...Object.keys(golden.gates)])].filter(
      (k) => canonicalJson(id.gates![k]) !== canonicalJson(golden.gates[k]),
    );
    return {
      verdict: "stale",
      reason: `stale golden: the gates of ${changed.slice(0, 5).join(", ")}${
        changed.length > 5 ? ", ..." : ""
      } changed since it was written; renew it with update-golden and say why`,
      diffs: [],
    };
  }
  const ref = goldenRun(golden, id.seed);
  if (!ref) {
    return {
      verdict: "not compared",
      reason: `seed ${id.seed} is not among the golden's seeds (${
        golden.runs.map((r) => r.seed).join(", ")
      })`,
      diffs: [],
    };
  }
  const diffs: MetricDiff[] = [];
  for (const [metric, g] of Object.entries(ref.metrics)) {
    const got = metrics[metric];
    if (!Object.is(got, g)) diffs.push({ metric, golden: g, got: got ?? NaN });
  }
  for (const metric of Object.keys(metrics)) {
    if (!(metric in ref.metrics)) diffs.push({ metric, golden: NaN, got: metrics[metric] });
  }
  const samplesChanged = digests.samplesSha256 !== ref.samplesSha256;
  const outputsChanged = changedOutputs(ref.outputsSha256, digests.outputsSha256);
  if (diffs.length === 0 && !samplesChanged && outputsChanged.length === 0) {
    return { verdict: "bit-exact", diffs };
  }
  const moved = [
    ...(diffs.length ? [`${diffs.length} metric${diffs.length === 1 ? "" : "s"}`] : []),
    ...(samplesChanged ? ["samples.csv"] : []),
    ...outputsChanged,
  ];
  return {
    verdict: "changed",
    reason: `the numbers no longer come back (${
      moved.length > 4 ? `${moved.slice(0, 4).join(", ")}, ...` : moved.join(", ")
    }); renew the golden on purpose`,
    diffs,
    samplesChanged,
    outputsChanged,
  };
}

/** The verdict of a run as tables and the index show it, from both layers. */
export type Verdict =
  | "bit-exact"
  | "changed"
  | "regressed"
  | "stale golden"
  | "no golden"
  | "not compared"
  | "updated"
  | "failed";

/** Both layers in one word: quality regression first, then the reproducibility verdict. */
export function combinedVerdict(repro: ReproCheck, quality: QualityJudgement): Verdict {
  if (quality.verdict === "regressed") return "regressed";
  switch (repro.verdict) {
    case "stale":
      return "stale golden";
    default:
      return repro.verdict;
  }
}

/** Verdicts that fail the run (with CI, "no golden" too). */
export function isFailing(v: Verdict | string, ci: boolean): boolean {
  return ["failed", "regressed", "changed", "stale golden"].includes(v) ||
    (ci && v === "no golden");
}

/** Severity order of verdicts (worst first), for aggregates. */
export const SEVERITY: Verdict[] = [
  "failed",
  "regressed",
  "stale golden",
  "changed",
  "no golden",
  "not compared",
  "bit-exact",
  "updated",
];

/** The worst of some verdicts. */
export function worstVerdict(verdicts: string[]): string {
  return verdicts.reduce(
    (a, b) => (SEVERITY.indexOf(b as Verdict) < SEVERITY.indexOf(a as Verdict) ? b : a),
    "updated",
  );
}

function fmt(v: number): string {
  return Number.isNaN(v) ? "-" : Number(v.toPrecision(8)).toString();
}

/** A readable table of the metrics that changed, with the quality rule each was held to. */
export function formatDiff(repro: ReproCheck, quality: QualityJudgement): string {
  const rule = new Map(quality.checks.map((c) => [c.metric, c]));
  const rows = [["metric", "golden", "got", "quality rule", ""]];
  const seen = new Set<string>();
  for (const d of repro.diffs) {
    const c = rule.get(d.metric);
    seen.add(d.metric);
    rows.push([
      d.metric,
      fmt(d.golden),
      fmt(d.got),
      c?.rule ?? "reported",
      c ? (c.ok ? "ok" : "REGRESSED") : "",
    ]);
  }
  for (const c of quality.checks) {
    if (!c.ok && !seen.has(c.metric)) rows.push([c.metric, "-", fmt(c.got), c.rule, "REGRESSED"]);
  }
  if (repro.samplesChanged) rows.push(["samples.csv", "sha256", "differs", "", ""]);
  for (const o of repro.outputsChanged ?? []) rows.push([o, "sha256", "differs", "", ""]);
  if (rows.length === 1) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => "  " + r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd()).join(
    "\n",
  );
}
