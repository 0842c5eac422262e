/**
 * The runner: validate every config before any work, start the backend, run each experiment, write
 * its folder atomically (metrics.json, files, chart specs and SVGs, page), check it against its
 * golden, then write the index and print the summary table.
 */
import { join, relative } from "node:path";
import { type AnyExperiment, metricSpec, type ProfileName, type RunOutput } from "./experiment.ts";
import { ConfigError, validateConfig } from "./schema.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import {
  compareGolden,
  FAILING_VERDICTS,
  formatDiff,
  goldenPath,
  type GoldenReport,
  makeGolden,
  readGolden,
} from "./golden.ts";
import { gitCommit } from "./provenance.ts";
import { type BackendInfo, initBackend } from "../runtime/backend.ts";
import { Streams } from "../runtime/random.ts";
import {
  canonicalJson,
  sha256,
  stageDirectory,
  writeFileAtomic,
  writeJsonAtomic,
} from "../runtime/io.ts";
import { renderSvg } from "../report/render.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { peakMemoryMiB } from "./memory.ts";
import * as tf from "@tensorflow/tfjs";
import { experimentPage, indexPage, type IndexRow, type PageMetric } from "../report/site.ts";

/** What to run and how. */
export interface ReproduceOptions {
  /** Project root (holds `fixtures/`). */
  root: string;
  /** Folder the outputs go to (`reports/` or a folder under it). */
  outDir: string;
  experiments: AnyExperiment[];
  profile: ProfileName;
  /** Seed override; each experiment's own seed otherwise. */
  seed?: number;
  /** Config overrides: experiment name -> dotted field path -> value. */
  overrides?: Record<string, Record<string, unknown>>;
  updateGolden?: boolean;
  /** Under CI a missing golden fails the run. */
  ci?: boolean;
  progress?: ProgressMode;
  /** Print the summary table (default true). */
  print?: boolean;
}

/** One experiment's outcome, as the summary table and the index show it. */
export interface ExperimentSummary {
  name: string;
  title: string;
  profile: ProfileName;
  seed: number;
  wallSeconds: number;
  metrics: Record<string, number>;
  headline: string[];
  verdict: string;
  failing: string[];
  error?: string;
  /** Live tensors after the experiment (must equal the count before it: no leak). */
  tensorsAfter?: number;
  /** Peak resident memory of the process so far, MiB. */
  peakRssMiB?: number;
}

/** A planned run: the experiment with its validated config. */
interface Plan {
  exp: AnyExperiment;
  config: unknown;
  seed: number;
  configHash: string;
}

/** Apply `field.path = value` overrides to a config copy. */
function applyOverrides(
  name: string,
  config: unknown,
  overrides: Record<string, unknown>,
): unknown {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split(".");
    let node: Record<string, unknown> = out;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== "object" || node[k] === null) {
        throw new ConfigError(
          `${name}.${path}`,
          value,
          `a field of the config; "${k}" is not an object`,
        );
      }
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

/** Validate every selected experiment's config (throws ConfigError before any work). */
export async function plan(o: ReproduceOptions): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const exp of o.experiments) {
    const raw = applyOverrides(exp.name, exp.profiles[o.profile], o.overrides?.[exp.name] ?? {});
    const config = validateConfig(exp.name, exp.schema, exp.checks ?? [], raw);
    plans.push({
      exp,
      config,
      seed: o.seed ?? exp.seed,
      configHash: await sha256(canonicalJson(config)),
    });
  }
  return plans;
}

function checkMetrics(name: string, out: RunOutput, specs: AnyExperiment["metrics"]): void {
  for (const [k, v] of Object.entries(out.metrics)) {
    if (!metricSpec(specs, k)) throw new Error(`${name}: metric "${k}" has no MetricSpec`);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(`${name}: metric "${k}" is ${v}, not a finite number`);
    }
  }
}

function toleranceText(t: { abs?: number; rel?: number }): string {
  const parts = [];
  if (t.abs !== undefined) parts.push(`±${t.abs}`);
  if (t.rel !== undefined) parts.push(`±${t.rel * 100}%`);
  return parts.join(" + ") || "exact";
}

/** Run one planned experiment and write its folder; never throws for a failed run. */
async function runOne(
  p: Plan,
  o: ReproduceOptions,
  backend: BackendInfo,
  commit: string | null,
): Promise<{ summary: ExperimentSummary; thumbnail?: string }> {
  const { exp } = p;
  const headlineKeys = Object.entries(exp.metrics).filter(([, s]) => s.headline).map(([k]) => k);
  const base = {
    name: exp.name,
    title: exp.title,
    profile: o.profile,
    seed: p.seed,
    headline: headlineKeys,
  };
  const progress = createProgress(exp.name, o.progress ?? "lines");
  const start = performance.now();
  let out: RunOutput;
  try {
    out = await exp.run({
      config: p.config,
      profile: o.profile,
      seed: p.seed,
      streams: new Streams(p.seed),
      progress,
    });
    checkMetrics(exp.name, out, exp.metrics);
  } catch (e) {
    const err = e as Error;
    console.error(`\n[${exp.name}] FAILED: ${err.message}`);
    if (!(err.name === "DivergenceError" || err.name === "MetricInputError")) {
      console.error(err.stack?.split("\n").slice(1, 6).join("\n"));
    }
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      summary: {
        ...base,
        wallSeconds,
        metrics: {},
        verdict: "failed",
        failing: [],
        error: err.message,
      },
    };
  }
  const wallSeconds = (performance.now() - start) / 1000;
  // Headline metrics: the flagged keys, with a `prefix*` key standing for every metric it covers.
  base.headline = Object.keys(out.metrics).filter((k) => metricSpec(exp.metrics, k)?.headline);
  const samples = out.files.find((f) => f.name === "samples.csv");
  const samplesSha256 = samples ? await sha256(samples.content) : null;

  // Golden check (or update).
  const gPath = goldenPath(o.root, exp.name, o.profile, p.seed, exp.seed);

  let golden: GoldenReport;
  if (o.updateGolden) {
    await writeJsonAtomic(
      gPath,
      makeGolden(
        exp.name,
        o.profile,
        p.seed,
        p.configHash,
        samplesSha256,
        out.metrics,
        exp.metrics,
      ),
    );
    golden = { verdict: "updated", reason: `wrote ${relative(o.root, gPath)}`, checks: [] };
  } else {
    const g = await readGolden(gPath);
    if (!g) golden = { verdict: "no golden", reason: `no ${relative(o.root, gPath)}`, checks: [] };
    else if (g.seed !== p.seed) {
      golden = {
        verdict: "not compared",
        reason: `the golden is for seed ${g.seed}, this run used ${p.seed}`,
        checks: [],
      };
    } else if (g.configHash !== p.configHash) {
      golden = {
        verdict: "not compared",
        reason: "the config differs from the golden's (overridden fields)",
        checks: [],
      };
    } else golden = compareGolden(g, out.metrics, samplesSha256);
  }
  const failing = golden.checks.filter((c) => !c.ok).map((c) => c.metric);
  if (FAILING_VERDICTS.includes(golden.verdict as never)) {
    console.error(`\n[${exp.name}] golden check: ${golden.verdict}\n${formatDiff(golden)}`);
  }

  // Write the experiment's folder as a whole.
  const final = join(o.outDir, exp.name);
  const stage = await stageDirectory(final);
  try {
    const timing = { date: new Date().toISOString(), wallSeconds, phases: progress.timings() };
    const metricsJson = {
      experiment: exp.name,
      title: exp.title,
      profile: o.profile,
      seed: p.seed,
      configHash: p.configHash,
      config: p.config,
      metrics: out.metrics,
      details: out.details ?? {},
      provenance: { versions: backend, gitCommit: commit, samplesSha256 },
      timing,
    };
    await writeJsonAtomic(join(stage.dir, "metrics.json"), metricsJson);
    for (const f of out.files) await writeFileAtomic(join(stage.dir, f.name), f.content);
    const charts = [];
    for (const c of out.charts) {
      const svg = await renderSvg(c.spec);
      await writeJsonAtomic(join(stage.dir, `${c.name}.vl.json`), c.spec);
      await writeFileAtomic(join(stage.dir, `${c.name}.svg`), svg);
      charts.push({ name: c.name, title: c.title, caption: c.caption, spec: c.spec });
    }
    const checkOf = new Map(golden.checks.map((c) => [c.metric, c]));
    const metrics: PageMetric[] = Object.entries(out.metrics).map(([name, value]) => {
      const spec = metricSpec(exp.metrics, name)!;
      const c = checkOf.get(name);
      return {
        name,
        value,
        description: spec.description,
        unit: spec.unit,
        better: spec.better,
        golden: c?.golden,
        tolerance: toleranceText(spec.tolerance),
        status: c ? (c.ok ? "ok" : "out") : undefined,
      };
    });
    const html = experimentPage({
      name: exp.name,
      title: exp.title,
      description: exp.description,
      profile: o.profile,
      verdict: golden.verdict,
      verdictDetail: golden.reason ??
        (failing.length ? `out of tolerance: ${failing.join(", ")}` : undefined),
      metrics,
      charts,
      notes: out.notes ?? [],
      files: ["metrics.json", ...out.files.map((f) => f.name)],
      config: p.config,
      provenance: {
        seed: p.seed,
        "config hash": p.configHash,
        "git commit": commit ?? "not a git checkout",
        deno: backend.deno,
        tfjs: backend.tfjs,
        backend: `${backend.backend} (SIMD ${
          backend.simd ? "on" : "off"
        }, ${backend.threads} thread)`,
        date: timing.date,
        "wall time": `${wallSeconds.toFixed(1)} s`,
        phases: Object.entries(timing.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", "),
        "samples.csv sha256": samplesSha256 ?? "–",
      },
    });
    await writeFileAtomic(join(stage.dir, "index.html"), html);
    stage.commit();
    return {
      summary: { ...base, wallSeconds, metrics: out.metrics, verdict: golden.verdict, failing },
      thumbnail: thumbnailOf(exp.name, out.charts),
    };
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/** Does this verdict fail the run? */
export function isFailure(s: ExperimentSummary, ci: boolean): boolean {
  return s.verdict === "failed" || FAILING_VERDICTS.includes(s.verdict as never) ||
    (ci && s.verdict === "no golden");
}

/** Run the experiments; returns their summaries and the process exit code (0 or 1). */
export async function reproduce(
  o: ReproduceOptions,
): Promise<{ summaries: ExperimentSummary[]; exitCode: number }> {
  const plans = await plan(o);
  const backend = await initBackend();
  await writeSiteAssets(o.outDir);

  const commit = await gitCommit(o.root);
  const summaries: ExperimentSummary[] = [];
  const rows: IndexRow[] = [];
  for (const p of plans) {
    const tensorsBefore = tf.memory().numTensors;
    const { summary, thumbnail } = await runOne(p, o, backend, commit);
    summary.tensorsAfter = tf.memory().numTensors;
    summary.peakRssMiB = Math.round(peakMemoryMiB());
    if (summary.tensorsAfter !== tensorsBefore && !summary.error) {
      summary.error = `tensor leak: ${tensorsBefore} live tensors before the experiment, ${summary.tensorsAfter} after`;
      summary.verdict = "failed";
      console.error(`\n[${summary.name}] ${summary.error}`);
    }
    summaries.push(summary);
    rows.push({
      name: summary.name,
      title: summary.title,
      profile: summary.profile,
      verdict: summary.verdict,
      failing: summary.failing,
      wallSeconds: summary.wallSeconds,
      headline: summary.headline.filter((h) => h in summary.metrics).map((h) => ({
        name: h,
        value: summary.metrics[h],
      })),
      thumbnail,
      error: summary.error,
    });
  }
  await writeFileAtomic(
    join(o.outDir, "index.html"),
    indexPage(rows, { generated: new Date().toISOString(), commit }),
  );
  const peakRssMiB = Math.round(peakMemoryMiB());
  await writeJsonAtomic(join(o.outDir, "summary.json"), {
    profile: o.profile,
    commit,
    peakRssMiB,
    experiments: summaries,
  });
  if (o.print ?? true) {
    console.log("\n" + summaryTable(summaries));
    console.log(`peak RSS ${peakRssMiB} MiB · live tensors after each experiment: ${summaries.map((s) => s.tensorsAfter).join(", ")}`);
  }

  const exitCode = summaries.some((s) => isFailure(s, o.ci ?? false)) ? 1 : 0;
  return { summaries, exitCode };
}

/** The summary table: experiment, wall time, key metrics, golden verdict. */
export function summaryTable(summaries: ExperimentSummary[]): string {
  const fmt = (v: number) =>
    Number.isInteger(v)
      ? String(v)
      : Math.abs(v) < 1e-3 && v !== 0
      ? v.toExponential(2)
      : v.toPrecision(4);
  const rows = [["experiment", "wall", "key metrics", "golden"]].concat(summaries.map((s) => [
    s.name,
    `${s.wallSeconds.toFixed(1)}s`,
    s.error
      ? `error: ${s.error.slice(0, 60)}`
      : s.headline.filter((h) => h in s.metrics).map((h) => `${h}=${fmt(s.metrics[h])}`).join(" "),
    s.verdict + (s.failing.length ? ` (${s.failing.join(", ")})` : ""),
  ]));
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd();
  return [line(rows[0]), w.map((n) => "-".repeat(n)).join("  "), ...rows.slice(1).map(line)].join(
    "\n",
  );
}

/** Path (from the index) of the chart shown as an experiment's thumbnail. */
function thumbnailOf(name: string, charts: RunOutput["charts"]): string | undefined {
  const c = charts.find((c) => c.thumbnail) ?? charts.find((c) => c.name === "samples") ??
    charts[0];
  return c ? `${name}/${c.name}.svg` : undefined;
}
