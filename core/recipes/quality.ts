/**
 * The quality section of a config and the quality metrics' specs: the sizes of the measurement
 * against the true law (`core/metrics/quality.ts`), its rule, and what each figure means, which way
 * is better and how the golden check judges it.
 */
import type { MetricSpec } from "../spec/metrics.ts";
import type { Rule } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";
import { rules } from "../spec/rules.ts";
import { type Quality, QualityJudge, type QualityOptions } from "../metrics/quality.ts";
import type { Dataset } from "../data/dataset.ts";
import type { SampleProbe } from "../metrics/probe.ts";

/** The quality section of a config: the sizes of the measurement ({@link QualityOptions}). */
export const QUALITY: Section<QualityOptions> = {
  schema: {
    referenceSize: rules.int(2, 100_000),
    permutations: rules.int(1, 10_000),
    permutationSize: rules.int(2, 100_000),
  },
};

/** The config rule of a {@link QualityOptions} field. */
export const QUALITY_RULE: Rule = rules.object(QUALITY.schema);

/** Descriptions and gates of the {@link Quality} figures. */
export const QUALITY_METRICS: Record<keyof Quality, MetricSpec> = {
  mmd2: {
    description:
      "unbiased MMD² to 5000 true draws, RBF kernel summed over h ∈ {0.1, 0.2, 0.5, 1, 2}",
    better: "lower",
    headline: true,
  },
  mmd2NoiseFloor: {
    description:
      "the same MMD² for a second true sample of the same size: what a perfect model gets",
    gate: { exact: "float64" },
  },
  mmdPValue: {
    description:
      "permutation-test p-value of 'samples and truth are one law' (1000 vs 1000, 200 permutations); reported, not gated",
  },
  nonFinite: {
    description: "samples with a non-finite coordinate (a sampler that blew up); 0 for a sound run",
    better: "lower",
  },
  modesCovered: {
    description: "modes with at least one high-quality sample (within 3 std of its nearest mode)",
    better: "higher",
    headline: true,
  },
  modesCoveredStrict: {
    description: "modes holding at least 0.2 N w_k high-quality samples (w_k the mode's weight)",
    better: "higher",
  },
  highQualityFraction: {
    description: "fraction of samples within 3 std of their nearest mode",
    better: "higher",
    headline: true,
  },
  modeKl: {
    description:
      "KL (nats) of the per-mode histogram of high-quality samples from the law's mode weights",
    better: "lower",
  },
  meanLogDensity: {
    description:
      "mean true log-density of the samples (not gated: collapse onto the modes raises it)",
    unit: "nats",
  },
  meanLogDensityTrue: {
    description: "mean true log-density of a true sample of the same size (the reference value)",
    gate: { exact: "float64" },
    unit: "nats",
  },
  logDensityGap: {
    description:
      "|mean log p(samples) − mean log p(true sample)|: too high (collapse) or too low (spread) both count",
    better: "lower",
    unit: "nats",
  },
};

/** The quality of samples against the data set's law, their per-mode counts and their probe. */
export interface Judged {
  quality: Quality;
  perMode?: number[];
  /** For the sensitivity analysis of the golden check. */
  probe: SampleProbe;
}

/** Measure samples `x` of `dataset` (see `QualityJudge`). */
export function judgeSamples(dataset: Dataset, o: QualityOptions, x: Float32Array): Judged {
  const judge = new QualityJudge(dataset, o);
  return { ...judge.measure(x), probe: judge.probe(x) };
}

/**
 * Per-part copies of the headline sample figures, `hq_<part>`, `mmd2_<part>` and `modes_<part>`,
 * for experiments whose parts are variants of one recipe beside the `oracle` part; `per` names the
 * parts ("per variant", "per form").
 */
export function perPartQualityMetrics(per: string): Record<string, MetricSpec> {
  return {
    "hq_*": {
      description: `fraction of samples within 3 std of a mode, ${per} (and \`oracle\`)`,
      better: "higher",
    },
    "mmd2_*": { description: `MMD² ${per} (and \`oracle\`)`, better: "lower" },
    "modes_*": { description: `modes covered ${per} (and \`oracle\`)`, better: "higher" },
  };
}

/** {@link QUALITY_METRICS} with `mmd2` saying which samples it judges (`what`: "the exact score's samples"). */
export function qualityMetricsOf(what: string): Record<keyof Quality, MetricSpec> {
  return {
    ...QUALITY_METRICS,
    mmd2: { ...QUALITY_METRICS.mmd2, description: `${what}: ${QUALITY_METRICS.mmd2.description}` },
  };
}
