/**
 * What an experiment is: a typed config with `full` and `quick` profiles, the rules that validate
 * it, the metrics it reports (with their golden tolerances), and a short `run` that calls into
 * `core/` and returns metrics, charts and files. The harness does everything else: validation,
 * random streams, progress, atomic output, reports and the golden check.
 */
import type { Check, Schema } from "./schema.ts";
import type { Streams } from "../runtime/random.ts";
import type { Progress } from "./progress.ts";

/** The two profiles every experiment has. */
export type ProfileName = "full" | "quick";

/** Profile names (for validation messages). */
export const PROFILE_NAMES: ProfileName[] = ["full", "quick"];

/** What `reproduce --profile` selects: one of the two profiles, or every experiment's sweep. */
export type RunProfile = ProfileName | "sweep";

/** Profiles `--profile` accepts. */
export const RUN_PROFILES: RunProfile[] = ["full", "quick", "sweep"];

/**
 * A sweep: the runs of a grid, each a point (a seed, and a value for each grid field) of a base
 * profile's config, with its own folder; the experiment's page aggregates them.
 */
export interface SweepSpec {
  base: ProfileName;
  seeds: number[];
  /** Config fields (dotted paths) and the values they take. */
  grid?: Record<string, unknown[]>;
}

/** How far a metric may move from its golden value: |got - golden| <= abs + rel |golden|. */
export interface Tolerance {
  abs?: number;
  rel?: number;
}

/** A reported metric: what it means, which way is better, and its golden tolerance. */
export interface MetricSpec {
  description: string;
  /** Which direction is better ("lower" for MMD, "higher" for coverage); none for diagnostics. */
  better?: "lower" | "higher";
  tolerance: Tolerance;
  /** Shown in the summary table and the report index. */
  headline?: boolean;
  unit?: string;
}

/** A Vega-Lite chart produced by an experiment. */
export interface Chart {
  /** File stem: `<name>.vl.json` and `<name>.svg`. */
  name: string;
  title: string;
  /** One or two sentences under the chart: what it shows and how to read it. */
  caption: string;
  spec: Record<string, unknown>;
  /** Show this chart as the experiment's thumbnail in the index (default: "samples", else the first). */
  thumbnail?: boolean;
  /**
   * Built from wall-clock measurements: written as `timing-<name>.*` and shown in the page's timing
   * section, the only part of a run's folder that differs between two runs of the same config.
   */
  timing?: boolean;
}

/** A file written beside the metrics (CSV and the like). */
export interface OutputFile {
  name: string;
  content: string;
}

/** What a run returns; the harness writes it out and checks it. */
export interface RunOutput {
  metrics: Record<string, number>;
  charts: Chart[];
  files: OutputFile[];
  /** Further results kept in `metrics.json` (per-mode counts, tables); not golden-checked. */
  details?: Record<string, unknown>;
  /** Wall-clock measurements (seconds per solver, ms per step), kept in `timing.json`. */
  timings?: Record<string, unknown>;

  /** Paragraphs for the report page: what the numbers mean. */
  notes?: string[];
}

/** Everything a run needs from the harness. */
export interface RunContext<C> {
  config: C;
  profile: ProfileName;
  seed: number;
  streams: Streams;
  progress: Progress;
}

/** An experiment of the harness. */
export interface Experiment<C> {
  /** Kebab-case name, used on the command line and as the report folder. */
  name: string;
  title: string;
  /** What the experiment shows and which seed text it follows. */
  description: string;
  /** The seed used unless `--seed` says otherwise. */
  seed: number;
  profiles: Record<ProfileName, C>;
  /** The `sweep` profile, when the experiment has one. */
  sweep?: SweepSpec;

  schema: Schema<C>;
  checks?: Check<C>[];
  /**
   * The metrics it reports. A key ending in `*` covers every metric name starting with the rest
   * (a family named after config values, such as one Fisher divergence per sigma).
   */
  metrics: Record<string, MetricSpec>;
  run(ctx: RunContext<C>): Promise<RunOutput>;
}

/** An experiment of any config type (the registry's element type). */
// deno-lint-ignore no-explicit-any
export type AnyExperiment = Experiment<any>;

/** The spec of metric `name`: its own key, or the longest `prefix*` key that matches. */
export function metricSpec(
  specs: Record<string, MetricSpec>,
  name: string,
): MetricSpec | undefined {
  if (specs[name]) return specs[name];
  let best: string | undefined;
  for (const k of Object.keys(specs)) {
    if (k.endsWith("*") && name.startsWith(k.slice(0, -1)) && (!best || k.length > best.length)) {
      best = k;
    }
  }
  return best ? specs[best] : undefined;
}
