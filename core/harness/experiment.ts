/**
 * What an experiment is: a typed config with `full` and `quick` profiles, the rules that validate
 * it, the metrics it reports (with their gates), and a short `run` that calls into
 * `core/` and returns metrics, charts and files. The harness does everything else: validation,
 * random streams, progress, atomic output, reports and the golden check.
 */
import type { Check, Schema } from "../spec/rules.ts";
import type { MetricSpec } from "../spec/metrics.ts";
import type { SampleProbe } from "../metrics/probe.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { Chart } from "../report/charts.ts";
export type { Chart };

/** The two profiles every experiment has. */
export type ProfileName = "full" | "quick";

/** Profile names (for validation messages). */
export const PROFILE_NAMES: ProfileName[] = ["full", "quick"];

/**
 * How many seeds of a profile the golden's seed-to-seed distribution holds: seeds 0..n-1 (the
 * experiment's own seed among them). `reproduce --sweep` runs them; `update-golden` renews them.
 */
export type SeedCounts = Record<ProfileName, number>;

/** Seed counts unless an experiment says otherwise: 10 for quick, 5 for full. */
export const DEFAULT_SEED_COUNTS: SeedCounts = { quick: 10, full: 5 };

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
  /** Further results kept in `metrics.json` (per-mode counts, tables); their sha256 is in the golden. */
  details?: Record<string, unknown>;
  /** Wall-clock measurements (seconds per solver, ms per step), kept in `timing.json`. */
  timings?: Record<string, unknown>;

  /** Paragraphs for the report page: what the numbers mean. */
  notes?: string[];
  /** The primary samples and how their metrics are measured (for the sensitivity analysis). */
  probe?: SampleProbe;
}

/** Everything a run needs from the harness. */
export interface RunContext<C> extends RunEnv {
  config: C;
  profile: ProfileName;
  seed: number;
  /**
   * The outputs of the run's parts, by part name (experiments with `parts`); in a part, the outputs
   * of the parts it needs.
   */
  parts?: Record<string, PartOutput>;
}

/**
 * What one part of a run returns: plain data (it crosses between workers), which the run's
 * `run` assembles into metrics, charts and files.
 */
export type PartOutput = Record<string, unknown>;

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
  /** Seeds of each profile's golden distribution (default {@link DEFAULT_SEED_COUNTS}). */
  seeds?: Partial<SeedCounts>;

  schema: Schema<C>;
  checks?: Check<C>[];
  /**
   * The metrics it reports. A key ending in `*` covers every metric name starting with the rest
   * (a family named after config values, such as one Fisher divergence per sigma).
   */
  metrics: Record<string, MetricSpec>;
  /**
   * Independent parts of a run (one network per noise level, say): each is its own job, so a run
   * spreads over the workers; `runPart` computes one from its own named streams (the same result
   * on any worker), and `run` then assembles them from `ctx.parts`.
   */
  parts?: (config: C) => string[];
  /**
   * What each part needs first: part -> the parts whose outputs its `ctx.parts` holds (a training
   * before the samplers that use its network). A part not named needs nothing; a need that is not
   * a part, or a circle of needs, is refused when the run is planned.
   */
  partNeeds?: (config: C) => Record<string, string[]>;
  runPart?: (ctx: RunContext<C>, part: string) => Promise<PartOutput>;
  run(ctx: RunContext<C>): Promise<RunOutput>;
}

/** An experiment of any config type (the registry's element type). */
// deno-lint-ignore no-explicit-any
export type AnyExperiment = Experiment<any>;
