/**
 * `deno task update-golden`: renew goldens on purpose. For each selected experiment and profile it
 * runs every seed of the profile's golden distribution (with the sensitivity analysis), judges the
 * new figures against the old golden (single-run gate on the default seed, sweep gate on all
 * seeds, gated metrics that disappeared), prints old against new for every gated metric, and
 * writes the new golden only when its quality did not regress, or with `--reason`, which the golden
 * then keeps. The sweeps' report sites go to `<out>/golden-<profile>/`.
 */
import { join, relative } from "node:path";
import type { AnyExperiment, ProfileName } from "./experiment.ts";
import {
  type Golden,
  type GoldenContent,
  GoldenFileError,
  readGolden,
  sealGolden,
} from "./golden.ts";
import { gatesOf, judgeRun, judgeSweep, type QualityCheck } from "./gate.ts";
import { costModel, type Plan, plan, runKey } from "./plan.ts";
import { finalizeSite, type RunSummary } from "./finalize.ts";
import { runPlans, summaryTable } from "./runner.ts";
import { gitCommit, runtimeVersions } from "./provenance.ts";
import { writeSiteAssets } from "../report/assets.ts";
import { writeJsonAtomic } from "../runtime/io.ts";
import { ConfigError } from "../spec/rules.ts";
import { summary } from "../metrics/statistics.ts";
import type { ProgressMode } from "./progress.ts";
import { peakMemoryMiB } from "./memory.ts";
import { changedOutputs } from "./outputs.ts";

/** What to renew and how. */
export interface RenewOptions {
  root: string;
  outDir: string;
  experiments: AnyExperiment[];
  profiles: ProfileName[];
  /** Why a golden whose quality regressed is right (without it, such a golden is refused). */
  reason?: string;
  ci?: boolean;
  progress?: ProgressMode;
  workers?: number;
  workerModule?: string;
  checkpointEvery?: number;
  print?: boolean;
}

/** The decision on one golden. */
export interface Renewed {
  experiment: string;
  profile: ProfileName;
  golden: Golden | null;
  verdict: "written" | "refused" | "failed";
  quality: string;
  table: string;
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 || v === 0
    ? String(Number(v.toPrecision(5)))
    : v.toExponential(3);
}

/** Old against new for every gated metric, with the gates' verdicts. */
function comparisonTable(
  old: Golden | null,
  fresh: GoldenContent,
  checks: QualityCheck[],
): string {
  const bad = new Map<string, QualityCheck[]>();
  for (const c of checks) if (!c.ok) bad.set(c.metric, [...(bad.get(c.metric) ?? []), c]);
  const rows = [[
    "metric",
    "gate",
    "old mean ± sd (seed " + fresh.seed + ")",
    "new mean ± sd (seed " + fresh.seed + ")",
    "verdict",
  ]];
  const spread = (g: GoldenContent | null, m: string) => {
    if (!g) return "-";
    const values = g.runs.map((r) => r.metrics[m]).filter((v) => v !== undefined);
    if (!values.length) return "-";
    const s = summary(values);
    const own = g.runs.find((r) => r.seed === g.seed)?.metrics[m];
    return `${fmt(s.mean)} ± ${fmt(s.sd)} (${fmt(own)})`;
  };
  const names = [...new Set([...Object.keys(fresh.gates), ...Object.keys(old?.gates ?? {})])];
  for (const m of names) {
    const gate = fresh.gates[m] ?? old?.gates[m];
    if (!gate || gate.kind === "report") continue;
    const b = bad.get(m);
    rows.push([
      m,
      gate.kind === "seeds" ? `seeds, ${gate.better}` : `exact ${gate.precision}`,
      spread(old, m),
      spread(fresh, m),
      b
        ? `REGRESSED: ${b.map((c) => c.rule).join("; ")}`
        : old && !(m in (old.gates ?? {}))
        ? "new"
        : "ok",
    ]);
  }
  for (const [m, cs] of bad) {
    if (!names.includes(m)) {
      rows.push([
        m,
        "",
        "",
        "",
        `REGRESSED: ${cs.map((c) => c.rule).join("; ")}`,
      ]);
    }
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => "  " + r.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd());
  return [...table, ...movedOutputs(old, fresh)].join("\n");
}

/**
 * The outputs whose sha256 differs from the old golden's, with the seeds where it does: what the
 * commit that renews the golden must explain besides the metrics.
 */
export function movedOutputs(old: Golden | null, fresh: GoldenContent): string[] {
  if (!old) return [];
  const seeds = new Map<string, number[]>();
  for (const r of fresh.runs) {
    const o = old.runs.find((x) => x.seed === r.seed);
    if (!o) continue;
    const names = changedOutputs(o.outputsSha256, r.outputsSha256);
    if (o.samplesSha256 !== r.samplesSha256) names.unshift("samples.csv");
    for (const k of names) seeds.set(k, [...(seeds.get(k) ?? []), r.seed]);
  }
  return [...seeds].map(([k, s]) =>
    `  ${k}: sha256 changed on seed${s.length > 1 ? "s" : ""} ${s.join(", ")}`
  );
}

/** Build the new golden of one experiment and profile from its sweep runs (seed order). */
export function goldenOf(
  exp: AnyExperiment,
  p: Plan,
  runs: RunSummary[],
  renewal: Golden["renewal"],
): GoldenContent {
  const own = runs.find((r) => r.seed === exp.seed)!;
  return {
    format: 4,
    experiment: exp.name,
    profile: p.profile,
    seed: exp.seed,
    configHash: p.configHash,
    gates: gatesOf(exp.metrics, own.metrics),
    runs: runs.map((r) => {
      if (!r.outputsSha256) throw new Error(`${r.runId}: a run without outputs enters no golden`);
      return {
        seed: r.seed,
        metrics: r.metrics,
        samplesSha256: r.samplesSha256,
        outputsSha256: r.outputsSha256,
        ...(r.sensitivity ? { sensitivity: r.sensitivity } : {}),
      };
    }),
    renewal,
  };
}

/**
 * Judge a renewal: the new golden against the old (null when none). Regressed when the default
 * seed's run fails the single-run gate, the sweep fails the sweep gate, or a gated metric is gone.
 */
export function judgeRenewal(
  old: Golden | null,
  fresh: GoldenContent,
): { regressed: boolean; checks: QualityCheck[]; summary: string } {
  if (!old) return { regressed: false, checks: [], summary: "no previous golden" };
  const own = fresh.runs.find((r) => r.seed === fresh.seed)!;
  const single = judgeRun(old, fresh.seed, own.metrics);
  const sweep = judgeSweep(old, fresh.runs);
  const checks = [
    ...single.checks.filter((c) => !c.ok).map((c) => ({ ...c, rule: `single run: ${c.rule}` })),
    ...sweep.checks.filter((c) => !c.ok).map((c) => ({ ...c, rule: `sweep: ${c.rule}` })),
  ];
  const regressed = checks.length > 0;
  const parts = [
    `single run ${single.verdict}`,
    `sweep ${sweep.verdict}`,
    ...(old.configHash !== fresh.configHash ? ["config changed"] : []),
  ];
  return { regressed, checks, summary: parts.join(", ") };
}

/** Each metric of the runs that is not a finite number (NaN or ±Infinity), as `seed s: name = v`. */
export function nonFiniteFigures(
  runs: { seed: number; metrics?: Record<string, number> }[],
): string[] {
  return runs.flatMap((r) =>
    Object.entries(r.metrics ?? {}).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) =>
      `seed ${r.seed}: ${k} = ${v}`
    )
  );
}

/** Renew the goldens of the selected experiments and profiles; exit code 1 if any was refused. */
export async function renewGoldens(
  o: RenewOptions,
): Promise<{ exitCode: number; renewed: Renewed[] }> {
  const commit = await gitCommit(o.root);
  const renewed: Renewed[] = [];
  const byProfile: {
    profile: ProfileName;
    plans: Plan[];
    old: Map<string, Golden | null>;
    /** Why an existing golden could not be used (it is then replaced with --reason). */
    unusable: Map<string, string>;
  }[] = [];
  for (const profile of o.profiles) {
    const plans = await plan(o.root, o.experiments, profile, { sweep: true });
    const old = new Map<string, Golden | null>();
    const unusable = new Map<string, string>();
    for (const exp of o.experiments) {
      const file = plans.find((p) => p.exp === exp)!.goldenFile;
      try {
        old.set(exp.name, await readGolden(file, exp.name, profile, o.root));
      } catch (e) {
        if (!(e instanceof GoldenFileError)) throw e;
        // Nothing to judge the renewal against: a person must say why (an edit by hand could
        // otherwise launder a regression through a renewal).
        if (!o.reason) {
          throw new ConfigError(
            "--reason",
            undefined,
            "a sentence saying why the renewal is right without a quality comparison",
            `${e.message}; the renewal cannot be judged against it, so it needs --reason "..." (recorded in the golden)`,
          );
        }
        console.error(`warning: ${e.message}; it is replaced without a quality comparison`);
        old.set(exp.name, null);
        unusable.set(exp.name, e.message);
      }
    }
    byProfile.push({ profile, plans, old, unusable });
  }
  const all = byProfile.flatMap((b) => b.plans);
  const { cost, partCost } = await costModel(o.root, all);
  // One pool for every profile's runs: the longest first, across profiles.
  const sites = new Map(byProfile.map((b) => [b.profile, join(o.outDir, `golden-${b.profile}`)]));
  for (const dir of sites.values()) await writeSiteAssets(dir);
  const summaries: RunSummary[] = [];
  for (const b of byProfile) {
    const goldens = new Map(b.plans.map((p) => [p.goldenFile, b.old.get(p.exp.name) ?? null]));
    summaries.push(
      ...await runPlans(
        b.plans,
        {
          root: o.root,
          outDir: sites.get(b.profile)!,
          ci: o.ci,
          progress: o.progress,
          checkpointEvery: o.checkpointEvery,
          sensitivity: true,
        },
        goldens,
        commit,
        { count: o.workers ?? 0, module: o.workerModule },
        cost,
        partCost,
      ),
    );
  }
  const print = o.print ?? true;
  for (const b of byProfile) {
    const runsOf = (name: string) =>
      summaries.filter((s) => s.name === name && s.profile === b.profile).sort((x, y) =>
        x.seed - y.seed
      );
    for (const exp of o.experiments) {
      const runs = runsOf(exp.name);
      const p = b.plans.find((q) => q.exp === exp)!;
      const failed = runs.filter((r) => r.error);
      if (failed.length) {
        renewed.push({
          experiment: exp.name,
          profile: b.profile,
          golden: null,
          verdict: "failed",
          quality: `runs failed: ${failed.map((r) => `${r.runId} (${r.error})`).join("; ")}`,
          table: "",
        });
        continue;
      }
      // A golden holds finite numbers only; no --reason makes a NaN figure right.
      const nonFinite = nonFiniteFigures(runs);
      if (nonFinite.length) {
        renewed.push({
          experiment: exp.name,
          profile: b.profile,
          golden: null,
          verdict: "failed",
          quality: `metrics not finite (a golden holds finite numbers only): ${
            nonFinite.join("; ")
          }`,
          table: "",
        });
        continue;
      }
      const old = b.old.get(exp.name) ?? null;
      const draft = goldenOf(exp, p, runs, { reason: null, quality: "" });
      const j = judgeRenewal(old, draft);
      const refused = j.regressed && !o.reason;
      const golden = await sealGolden({
        ...draft,
        renewal: {
          reason: j.regressed || !old ? o.reason ?? null : null,
          quality: j.regressed
            ? `regressed (${[...new Set(j.checks.map((c) => c.metric))].join(", ")}); ${j.summary}`
            : b.unusable.has(exp.name)
            ? `not judged: the previous golden was unusable (${b.unusable.get(exp.name)})`
            : j.summary,
        },
      });
      if (!refused) await writeJsonAtomic(p.goldenFile, golden);
      renewed.push({
        experiment: exp.name,
        profile: b.profile,
        golden: refused ? null : golden,
        verdict: refused ? "refused" : "written",
        quality: golden.renewal.quality,
        table: comparisonTable(old, draft, j.checks),
      });
    }
    await finalizeSite(
      sites.get(b.profile)!,
      summaries.filter((s) => s.profile === b.profile),
      o.experiments,
      {
        root: o.root,
        commit,
        generated: new Date().toISOString(),
        peakRssMiB: Math.round(peakMemoryMiB()),
        selection: {
          profile: b.profile,
          sweep: true,
          experiments: o.experiments.map((e) => e.name),
        },
        plan: b.plans.map(runKey),
        versions: await runtimeVersions(o.root),
      },
    );
  }
  if (print) {
    console.log("\n" + summaryTable(summaries));
    for (const r of renewed) {
      const where = relative(
        o.root,
        join(o.root, "fixtures", "golden", `${r.experiment}.${r.profile}.json`),
      );
      console.log(`\n${r.verdict.toUpperCase()} ${where}: quality ${r.quality}`);
      if (r.table) console.log(r.table);
    }
    const refused = renewed.filter((r) => r.verdict === "refused");
    if (refused.length) {
      console.error(
        `\nrefused: ${
          refused.map((r) => `${r.experiment}.${r.profile}`).join(", ")
        }: their quality regressed against the old golden. ` +
          `If the new values are right, say why: deno task update-golden --only ... --reason "..."`,
      );
    }
  }
  const bad = renewed.some((r) => r.verdict !== "written");
  return { exitCode: bad ? 1 : 0, renewed };
}
