/**
 * The quality layer of the golden check: is a run, or a sweep of seeds, worse than the golden's
 * seed-to-seed distribution says a correct run can be?
 *
 * Rules (every number below is a constant of this file, published in the README):
 * - Single run, seed-gated metrics: with the golden's n per-seed values of a metric (mean m, sd s),
 *   the run's value x gets the one-sided predictive p-value P(T_{n-1} >= (x - m) / (s sqrt(1 + 1/n)))
 *   in the worse direction (the chance that a correct new seed is at least this bad, for a normal
 *   metric). The experiment's metrics form one family, Holm-corrected to a family-wise false-alarm
 *   rate RUN_ALPHA; a metric is regressed when Holm rejects it AND it is worse than the worst golden
 *   seed. Without any distributional assumption a correct seed is flagged on a metric with
 *   probability <= 1/(n+1) (it must be the most extreme of n+1). The leave-one-out rate on the
 *   golden's own seeds is measured and published with each golden.
 * - Sweep: for every seed-gated metric, Welch's one-sided t-test of "the new seeds' mean is worse
 *   than the golden seeds'"; the experiment's metrics form one family, Holm-corrected to a
 *   family-wise false-alarm rate SWEEP_ALPHA.
 * - Exact metrics (deterministic given the seed) are judged against the same seed's golden value:
 *   regressed when worse by more than their precision's band (NUMERIC_BANDS); without a golden
 *   value for that seed they fall back to the seed distribution when they have a direction.
 * - A sweep whose seeds all give the same samples, where the golden's seeds did not, is regressed
 *   ("the seed changes nothing").
 */
import { type Gate, gateOf, type MetricSpec, metricSpec, type Precision } from "../spec/metrics.ts";
import {
  holmRejects,
  studentTCdf,
  studentTQuantile,
  summary,
  welchGreater,
} from "../metrics/statistics.ts";

/** Family-wise false-alarm rate of the single-run gate (Holm over an experiment's metrics). */
export const RUN_ALPHA = 0.01;

/** Family-wise false-alarm rate of the sweep gate (Holm over an experiment's metrics). */
export const SWEEP_ALPHA = 0.01;

/**
 * Bands of exact metrics, |got - golden| <= abs + rel |golden|, by the precision they are computed
 * in. float64: metrics summed in JS (closed forms, MMD of fixed draws); reordering a float64 sum
 * moved them by 3.5e-13 relative (commit 49dbd33), so 1e-9 leaves a wide margin and still flags
 * any change of method. float32: oracle pipelines on tfjs (the PF-ODE NLL with the exact score);
 * a one-ulp nudge of their inputs moved the mean NLL by 1.2e-7 relative and its error against the
 * closed form by 5e-9 absolute (`tests/gate_test.ts` measures it and asserts it stays below a tenth
 * of this band).
 */
export const NUMERIC_BANDS: Record<Precision, { rel: number; abs: number }> = {
  float64: { rel: 1e-9, abs: 1e-12 },
  float32: { rel: 1e-5, abs: 1e-7 },
};

/** The gate of a metric as the golden file records it. */
export type GoldenGate =
  | { kind: "seeds"; better: "lower" | "higher" }
  | { kind: "exact"; precision: Precision; better?: "lower" | "higher" }
  | { kind: "report" };

/** The golden-file form of a metric's gate. */
export function goldenGate(spec: MetricSpec): GoldenGate {
  const g: Gate = gateOf(spec);
  if (g === "report") return { kind: "report" };
  if (g === "seeds") {
    if (!spec.better) throw new Error(`a seed-gated metric needs a direction ("better")`);
    return { kind: "seeds", better: spec.better };
  }
  return { kind: "exact", precision: g.exact, ...(spec.better ? { better: spec.better } : {}) };
}

/** The gates of every metric of a run, from the experiment's specs. */
export function gatesOf(
  specs: Record<string, MetricSpec>,
  metrics: Record<string, number>,
): Record<string, GoldenGate> {
  const out: Record<string, GoldenGate> = {};
  for (const name of Object.keys(metrics)) {
    const spec = metricSpec(specs, name);
    if (!spec) throw new Error(`metric "${name}" has no MetricSpec`);
    out[name] = goldenGate(spec);
  }
  return out;
}

/** What the quality layer needs of a golden: the gates and every seed's metrics. */
export interface SeedDistribution {
  gates: Record<string, GoldenGate>;
  runs: { seed: number; metrics: Record<string, number>; samplesSha256: string | null }[];
}

/** The band a single run of a seed-gated metric must stay inside. */
export interface SeedBand {
  better: "lower" | "higher";
  n: number;
  mean: number;
  sd: number;
  /** The worst golden seed. */
  worst: number;
  /** The prediction bound mean ± t sd sqrt(1 + 1/n). */
  bound: number;
  /** The edge: the more lenient of `worst` and `bound`. */
  limit: number;
}

/** Is `value` worse than `limit` in direction `better`? */
function worse(value: number, limit: number, better: "lower" | "higher"): boolean {
  return better === "lower" ? value > limit : value < limit;
}

/**
 * The one-sided predictive p-value of `value` against seed values `values`: the probability that a
 * correct new seed is at least this much worse, P(T_{n-1} >= (x - m) / (s sqrt(1 + 1/n))). With no
 * spread it is 0 when worse than the constant, else 1.
 */
export function predictiveP(
  values: readonly number[],
  value: number,
  better: "lower" | "higher",
): number {
  const s = summary(values);
  const worseBy = better === "lower" ? value - s.mean : s.mean - value;
  if (s.sd === 0) return worseBy > 0 ? 0 : 1;
  return 1 - studentTCdf(worseBy / (s.sd * Math.sqrt(1 + 1 / s.n)), s.n - 1);
}

/** The single-run band of one metric on its own (for tables: Holm's correction not applied). */
export function seedBand(values: readonly number[], better: "lower" | "higher"): SeedBand {
  const s = summary(values);
  const t = s.n > 1 ? studentTQuantile(1 - RUN_ALPHA, s.n - 1) : Infinity;
  const half = s.sd === 0 ? 0 : t * s.sd * Math.sqrt(1 + 1 / s.n);
  const lower = better === "lower";
  const worst = lower ? s.max : s.min;
  const bound = lower ? s.mean + half : s.mean - half;
  const limit = lower ? Math.max(worst, bound) : Math.min(worst, bound);
  return { better, n: s.n, mean: s.mean, sd: s.sd, worst, bound, limit };
}

/** The band of an exact metric around its golden value. */
export function exactBand(golden: number, precision: Precision): number {
  const b = NUMERIC_BANDS[precision];
  return b.abs + b.rel * Math.abs(golden);
}

/** One metric judged by the quality layer. */
export interface QualityCheck {
  metric: string;
  got: number;
  ok: boolean;
  /** How it was judged, in words ("<= 0.0081: worst seed 0.0069, bound 0.0081", "seed 3: 2.1 ± 4e-4"). */
  rule: string;
  /** The edge it was held to (for tables). */
  limit: number;
  /** p-value of the sweep test (sweeps only). */
  p?: number;
}

/** The quality layer's verdict. */
export interface QualityJudgement {
  verdict: "ok" | "regressed" | "not judged";
  reason?: string;
  checks: QualityCheck[];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5
    ? String(Number(v.toPrecision(4)))
    : v.toExponential(2);
}

function verdictOf(checks: QualityCheck[]): QualityJudgement {
  const bad = checks.filter((c) => !c.ok).map((c) => c.metric);
  return bad.length
    ? { verdict: "regressed", reason: `beyond the seed spread: ${bad.join(", ")}`, checks }
    : { verdict: "ok", checks };
}

function valuesOf(d: SeedDistribution, metric: string): number[] {
  return d.runs.map((r) => r.metrics[metric]).filter((v) => typeof v === "number");
}

/**
 * An exact metric against the same seed's golden value: within its precision's band
 * ({@link exactBand}) both ways, or, when it has a direction, not worse by more than the band.
 */
function exactCheck(
  metric: string,
  got: number,
  golden: number,
  seed: number,
  gate: Extract<GoldenGate, { kind: "exact" }>,
): QualityCheck {
  const band = exactBand(golden, gate.precision);
  const ok = gate.better
    ? !worse(got, gate.better === "lower" ? golden + band : golden - band, gate.better)
    : Math.abs(got - golden) <= band;
  return {
    metric,
    got,
    ok,
    rule: `seed ${seed}: ${fmt(golden)} ± ${fmt(band)} (${gate.precision} band)`,
    limit: golden,
  };
}

/**
 * A metric that came out NaN or infinite is a quality regression of its run, whatever its gate
 * and whether or not a golden exists (a blown-up chain or a broken instrument is never "within
 * the spread"): the run still completes and writes its folder, and the verdict names the metric.
 * Undefined when every metric is finite.
 */
export function judgeFiniteness(metrics: Record<string, number>): QualityJudgement | undefined {
  const bad = Object.entries(metrics).filter(([, v]) =>
    typeof v !== "number" || !Number.isFinite(v)
  );
  if (!bad.length) return undefined;
  return {
    verdict: "regressed",
    reason: `not a finite number: ${bad.map(([k, v]) => `${k} = ${v}`).join(", ")}`,
    checks: bad.map(([metric]) => ({
      metric,
      got: NaN,
      ok: false,
      rule: "every metric must be a finite number",
      limit: NaN,
    })),
  };
}

/**
 * Judge one run (its `seed` and metrics) against a golden distribution. A gated metric the run
 * lacks, or reports as non-finite, is regressed.
 */
export function judgeRun(
  d: SeedDistribution,
  seed: number,
  metrics: Record<string, number>,
): QualityJudgement {
  const checks: QualityCheck[] = [];
  const tests: (QualityCheck & { beyondWorst: boolean })[] = [];
  const same = d.runs.find((r) => r.seed === seed);
  for (const [metric, gate] of Object.entries(d.gates)) {
    if (gate.kind === "report") continue;
    const got = metrics[metric];
    if (typeof got !== "number" || !Number.isFinite(got)) {
      checks.push({ metric, got: NaN, ok: false, rule: "missing or not finite", limit: NaN });
      continue;
    }
    if (gate.kind === "exact" && same && metric in same.metrics) {
      checks.push(exactCheck(metric, got, same.metrics[metric], seed, gate));
      continue;
    }
    const better = gate.better;
    if (!better) continue;
    const values = valuesOf(d, metric);
    if (values.length < 2) continue;
    const b = seedBand(values, better);
    const p = predictiveP(values, got, better);
    tests.push({
      metric,
      got,
      ok: true,
      p,
      rule: `p = ${fmt(p)} against ${b.n} seeds (mean ${fmt(b.mean)}, sd ${fmt(b.sd)}, worst ${
        fmt(b.worst)
      })`,
      limit: b.worst,
      beyondWorst: worse(got, b.worst, better),
    });
  }
  const rejected = holmRejects(tests.map((t) => t.p!), RUN_ALPHA);
  tests.forEach(({ beyondWorst, ...t }, i) =>
    checks.push({ ...t, ok: !(rejected[i] && beyondWorst) })
  );
  return verdictOf(checks);
}

/**
 * Judge a sweep (new per-seed metrics) against the golden's: Welch + Holm on seed-gated metrics,
 * per-seed bands on exact ones, and the "seed changes nothing" check.
 */
export function judgeSweep(
  d: SeedDistribution,
  runs: SeedDistribution["runs"],
): QualityJudgement {
  const checks: QualityCheck[] = [];
  const tests: { metric: string; p: number; got: number; limit: number; rule: string }[] = [];
  for (const [metric, gate] of Object.entries(d.gates)) {
    if (gate.kind === "report") continue;
    const fresh = runs.map((r) => r.metrics[metric]);
    if (fresh.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      checks.push({
        metric,
        got: NaN,
        ok: false,
        rule: "missing or not finite in a run",
        limit: NaN,
      });
      continue;
    }
    if (gate.kind === "exact") {
      for (const r of runs) {
        const old = d.runs.find((o) => o.seed === r.seed)?.metrics[metric];
        if (old === undefined) continue;
        const check = exactCheck(metric, r.metrics[metric], old, r.seed, gate);
        if (!check.ok) checks.push(check);
      }
      continue;
    }
    const old = valuesOf(d, metric);
    if (old.length < 2) continue;
    // "Worse" is up for lower-is-better metrics: test new > old; for higher-is-better, -new > -old.
    const sign = gate.better === "lower" ? 1 : -1;
    const w = welchGreater(old.map((v) => sign * v), fresh.map((v) => sign * v));
    const so = summary(old), sn = summary(fresh);
    tests.push({
      metric,
      p: w.p,
      got: sn.mean,
      limit: so.mean,
      rule: `mean ${fmt(sn.mean)} (sd ${fmt(sn.sd)}, ${sn.n} seeds) vs golden ${fmt(so.mean)} (sd ${
        fmt(so.sd)
      }, ${so.n}); Welch p = ${fmt(w.p)}`,
    });
  }
  const rejected = holmRejects(tests.map((t) => t.p), SWEEP_ALPHA);
  tests.forEach((t, i) => checks.push({ ...t, ok: !rejected[i] }));
  const goldenHashes = new Set(d.runs.map((r) => r.samplesSha256).filter((h) => h !== null));
  const newHashes = new Set(runs.map((r) => r.samplesSha256).filter((h) => h !== null));
  if (runs.length > 1 && goldenHashes.size > 1 && newHashes.size === 1) {
    checks.push({
      metric: "samples.csv",
      got: 1,
      ok: false,
      rule:
        `all ${runs.length} seeds give the same samples (the golden's seeds gave ${goldenHashes.size})`,
      limit: goldenHashes.size,
    });
  }
  return verdictOf(checks);
}

/**
 * The single-run gate's false-alarm rate measured on the golden's own seeds: each seed judged
 * against the band of the others; the fraction of seeds that trip any metric.
 */
export function leaveOneOutAlarms(d: SeedDistribution): { alarms: number; seeds: number } {
  let alarms = 0;
  for (let i = 0; i < d.runs.length; i++) {
    const others: SeedDistribution = {
      // Exact metrics are judged by seed; left out here they fall back to the spread of the others.
      gates: Object.fromEntries(
        Object.entries(d.gates).map(([k, g]) => [
          k,
          g.kind === "exact"
            ? (g.better
              ? { kind: "seeds", better: g.better } as GoldenGate
              : { kind: "report" } as GoldenGate)
            : g,
        ]),
      ),
      runs: d.runs.filter((_, j) => j !== i),
    };
    if (judgeRun(others, d.runs[i].seed, d.runs[i].metrics).verdict === "regressed") alarms++;
  }
  return { alarms, seeds: d.runs.length };
}
