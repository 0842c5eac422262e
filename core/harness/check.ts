/**
 * The golden check of one run: the reproducibility layer (`golden.ts`) and the quality layer
 * (`gate.ts`), combined into the verdict the summary, the index and the exit code use.
 */
import {
  combinedVerdict,
  compareRun,
  type Golden,
  goldenRun,
  type ReproCheck,
  type RunDigests,
  type Verdict,
} from "./golden.ts";
import {
  type GoldenGate,
  goldenGate,
  judgeFiniteness,
  judgeRun,
  type QualityJudgement,
} from "./gate.ts";
import { type MetricSpec, metricSpec } from "../spec/metrics.ts";

/** Both layers' results for one run. */
export interface GoldenCheck {
  verdict: Verdict;
  /** One line: why this verdict. */
  detail?: string;
  /** Metrics that made the verdict fail (changed or regressed). */
  failing: string[];
  repro: ReproCheck;
  quality: QualityJudgement;
  /** The golden's values for this run's seed, when it has them. */
  goldenValues?: Record<string, number>;
}

/** Check a run against its golden (null when there is none). */
export function checkRun(
  golden: Golden | null,
  run: {
    seed: number;
    configHash: string;
    overridden: boolean;
    exp: { metrics: Record<string, MetricSpec> };
  },
  metrics: Record<string, number>,
  digests: RunDigests,
): GoldenCheck {
  const repro = compareRun(
    golden,
    {
      ...run,
      // The gates today's specs give the golden's metrics (a spec that changed makes it stale).
      gates: golden
        ? Object.fromEntries(
          Object.keys(golden.gates).map((k) => {
            const spec = metricSpec(run.exp.metrics, k);
            return [k, spec ? goldenGate(spec) : { kind: "undeclared" }];
          }),
        ) as Record<string, GoldenGate>
        : undefined,
    },
    metrics,
    digests,
  );
  // A non-finite metric is a regression in any run. Otherwise: the seed distribution is for the
  // profile's own config, so a run with --set is not judged; a stale golden still is (the quality
  // verdict says what the config change did).
  const quality: QualityJudgement = judgeFiniteness(metrics) ??
    (!golden
      ? { verdict: "not judged", reason: "no golden", checks: [] }
      : run.overridden
      ? { verdict: "not judged", reason: "--set overrides", checks: [] }
      : judgeRun(golden, run.seed, metrics));
  const verdict = combinedVerdict(repro, quality);
  const regressed = quality.checks.filter((c) => !c.ok).map((c) => c.metric);
  const failing = verdict === "regressed" ? regressed : verdict === "changed"
    ? [
      ...repro.diffs.map((d) => d.metric),
      ...(repro.samplesChanged ? ["samples.csv"] : []),
      ...(repro.outputsChanged ?? []),
    ]
    : [];
  const detail = verdict === "regressed"
    ? `${quality.reason}${repro.reason ? `; ${repro.reason}` : ""}`
    : repro.verdict === "changed" || repro.verdict === "stale"
    ? `${repro.reason}; quality ${
      quality.verdict === "ok" ? "within the seed spread" : quality.verdict
    }`
    : repro.reason;
  return {
    verdict,
    detail,
    failing,
    repro,
    quality,
    goldenValues: golden && !run.overridden ? goldenRun(golden, run.seed)?.metrics : undefined,
  };
}
