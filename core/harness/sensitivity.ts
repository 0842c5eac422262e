/**
 * The power of the golden check, measured: each run of a golden renewal degrades its own samples
 * in controlled ways (`core/metrics/degrade.ts`) and measures them again; the golden keeps those
 * figures per seed. From them, for each degradation: does the single-run gate catch it on the
 * default seed, and does the sweep gate catch it when every seed is degraded?
 */
import type { SampleProbe } from "../metrics/probe.ts";
import type { Golden } from "./golden.ts";
import { judgeRun, judgeSweep, type SeedDistribution } from "./gate.ts";
import { DEGRADATIONS } from "../metrics/degrade.ts";

/** The probe's metrics for every degradation (null where it does not apply). */
export function measureDegradations(
  probe: SampleProbe,
): Record<string, Record<string, number> | null> {
  const out: Record<string, Record<string, number> | null> = {};
  const mmd2 = (x: Float32Array) => {
    const m = probe.measure(x).mmd2;
    if (m === undefined) throw new Error("the probe's measure returns no mmd2");
    return m;
  };
  const hasMmd = "mmd2" in probe.measure(probe.x);
  for (const d of DEGRADATIONS) {
    if ((d.needsModes && !probe.modes) || (d.needsMmd && !hasMmd)) {
      out[d.name] = null;
      continue;
    }
    const x = d.apply(probe.x, probe.dim, { modes: probe.modes, mmd2 });
    out[d.name] = x ? probe.measure(x) : null;
  }
  return out;
}

/** One row of the sensitivity table: what one degradation does and which gate sees it. */
export interface SensitivityRow {
  degradation: string;
  label: string;
  /** The default seed's metrics before and after the degradation (the probe's metrics). */
  before: Record<string, number>;
  after: Record<string, number>;
  /** Metrics the single-run gate flags on the default seed. */
  singleRun: string[];
  /** Metrics the sweep gate flags when every seed is degraded. */
  sweep: string[];
  /** False when the degradation does not apply (no modes, MMD² at the floor). */
  applies: boolean;
}

/** The sensitivity table of a golden (empty when it holds no sensitivity figures). */
export function sensitivityTable(g: Golden): SensitivityRow[] {
  const base = g.runs.find((r) => r.seed === g.seed)!;
  if (!base.sensitivity) return [];
  const dist: SeedDistribution = { gates: g.gates, runs: g.runs };
  return DEGRADATIONS.map((d) => {
    const after = base.sensitivity![d.name];
    if (!after || g.runs.some((r) => !r.sensitivity?.[d.name])) {
      return {
        degradation: d.name,
        label: d.label,
        before: {},
        after: {},
        singleRun: [],
        sweep: [],
        applies: false,
      };
    }
    const names = Object.keys(after);
    // Only the probe's metrics move; the rest of each run stays as it was.
    const single = judgeRun(dist, g.seed, { ...base.metrics, ...after });
    const degradedRuns = g.runs.map((r) => ({
      seed: r.seed,
      metrics: { ...r.metrics, ...r.sensitivity![d.name]! },
      samplesSha256: null,
    }));
    const onlyProbe: SeedDistribution = {
      gates: Object.fromEntries(names.filter((n) => n in g.gates).map((n) => [n, g.gates[n]])),
      runs: g.runs,
    };
    const sweep = judgeSweep(onlyProbe, degradedRuns);
    return {
      degradation: d.name,
      label: d.label,
      before: Object.fromEntries(names.map((n) => [n, base.metrics[n]])),
      after,
      singleRun: single.checks.filter((c) => !c.ok && names.includes(c.metric)).map((c) =>
        c.metric
      ),
      sweep: sweep.checks.filter((c) => !c.ok).map((c) => c.metric),
      applies: true,
    };
  });
}

/**
 * The power of the golden check as a Markdown matrix (README): one row per golden with sensitivity
 * figures, one column per degradation; a cell says which gates catch it ("run + sweep", "sweep",
 * "**no**") or "n/a" where it does not apply.
 */
export function powerMatrix(goldens: Golden[]): string {
  const head = ["experiment (profile, seeds)", ...DEGRADATIONS.map((d) => d.label)];
  const rows = goldens.map((g) => {
    const t = sensitivityTable(g);
    return [
      `${g.experiment} (${g.profile}, ${g.runs.length})`,
      ...t.map((r) =>
        !r.applies
          ? "n/a"
          : r.singleRun.length && r.sweep.length
          ? "run + sweep"
          : r.singleRun.length
          ? "run"
          : r.sweep.length
          ? "sweep"
          : "**no**"
      ),
    ];
  });
  const w = head.map((_, i) => Math.max(3, ...[head, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(w[i])).join(" | ")} |`;
  return [line(head), `| ${w.map((n) => "-".repeat(n)).join(" | ")} |`, ...rows.map(line)].join(
    "\n",
  );
}
