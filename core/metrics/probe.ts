/**
 * A sample set and how its sample-derived metrics are computed from it: what the golden check's
 * sensitivity analysis degrades and measures again (`core/metrics/degrade.ts`).
 */
import type { Modes } from "./degrade.ts";

/**
 * A run's primary samples and how its sample-derived metrics are computed from them. The golden's
 * sensitivity analysis degrades these samples in controlled ways (blur, mass moved between modes,
 * a mode dropped, the law scaled) and measures them again, to learn what the gate can see.
 */
export interface SampleProbe {
  /** The samples (flat, `dim` per row), as written to samples.csv. */
  x: Float32Array;
  dim: number;
  /** The law's modes (mixtures only): degradations that move mass between modes need them. */
  modes?: Modes;
  /** The sample-derived metrics of a sample set: a subset of the run's metrics, same names. */
  measure(x: Float32Array): Record<string, number>;
}
