/**
 * What a reported metric is: its meaning, which way is better, and how the golden check judges it
 * (its gate). Experiments and recipes declare their metrics with these; the harness judges them.
 */

/** The numerical precision an exact metric is computed in (sets its band, see `gate.ts`). */
export type Precision = "float64" | "float32";

/**
 * How the quality layer of the golden check judges a metric (the reproducibility layer asks every
 * metric to come back bit for bit, whatever its gate):
 * - "seeds": it depends on the run's seed (training, sampling noise): judged against the golden's
 *   seed-to-seed distribution in its `better` direction;
 * - { exact }: deterministic given the seed (a closed form, an oracle computation): judged against
 *   the same seed's golden value within a band of its precision's rounding;
 * - "report": reported and reproduced, never judged (p-values, diagnostics, descriptive figures).
 */
export type Gate = "seeds" | { exact: Precision } | "report";

/** A reported metric: what it means, which way is better, and how the golden check judges it. */
export interface MetricSpec {
  description: string;
  /** Which direction is better ("lower" for MMD, "higher" for coverage); none for diagnostics. */
  better?: "lower" | "higher";
  /** The quality gate (default: "seeds" when `better` is set, else "report"). */
  gate?: Gate;
  /** Shown in the summary table and the report index. */
  headline?: boolean;
  unit?: string;
}

/** The gate of a metric: its own, or "seeds" when it has a direction, else "report". */
export function gateOf(spec: MetricSpec): Gate {
  return spec.gate ?? (spec.better ? "seeds" : "report");
}

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

/**
 * The family of metric `name` when a `prefix*` key covers it: its base (the prefix without a trailing
 * `_` and a one-letter tag such as `_s`, `_t`, `_r`) and its setting (the rest of the name: a
 * sampler, a noise level, a method and weight). Metric pages show a family as a matrix.
 */
export function metricFamily(
  specs: Record<string, MetricSpec>,
  name: string,
): { base: string; setting: string } | undefined {
  if (specs[name]) return undefined;
  let best: string | undefined;
  for (const k of Object.keys(specs)) {
    if (k.endsWith("*") && name.startsWith(k.slice(0, -1)) && (!best || k.length > best.length)) {
      best = k;
    }
  }
  if (!best) return undefined;
  const prefix = best.slice(0, -1);
  const base = prefix.replace(/_[a-z]?$/, "");
  return { base, setting: name.slice(base.length + 1) };
}
