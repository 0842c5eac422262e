/**
 * Mode coverage, as the GAN 2-D benchmarks define it (VEEGAN, PacGAN).
 *
 * Each sample goes to its nearest mode mean (Euclidean). It is high quality if that distance is
 * below `threshold` std (3 by default). A mode is covered if at least one high-quality sample is
 * assigned to it; the stricter count asks for at least 0.2 N w_k high-quality samples. The per-mode
 * histogram p of high-quality samples is compared with the law's own weights w by
 * KL(p || w) = sum_k p_k log(p_k / w_k) in nats (w uniform unless given).
 */
import { nearestMode } from "../data/mixtures.ts";
import { checkPoints } from "./points.ts";

/** The mode-coverage figures of one sample set. */
export interface ModeCoverage {
  /** Number of modes with at least one high-quality sample. */
  covered: number;
  /** Number of modes with at least 0.2 N w_k high-quality samples (0.2 N / K for equal weights). */
  coveredStrict: number;
  /** Number of modes K. */
  modes: number;
  /** Fraction of samples within `threshold` std of their nearest mode. */
  highQualityFraction: number;
  /** High-quality samples assigned to each mode. */
  perMode: number[];
  /**
   * KL(p || w) of the per-mode histogram p of high-quality samples from the law's weights w, in
   * nats. With no high-quality sample at all it is log(1 / min w), its value when all mass sits on
   * the lightest mode.
   */
  klFromWeights: number;
}

/** Mode coverage of rows of x against the given means, std and weights (uniform by default). */
export function modeCoverage(
  x: ArrayLike<number>,
  means: readonly (readonly number[])[],
  std: number,
  weights?: readonly number[],
  threshold = 3,
): ModeCoverage {
  const dim = means[0].length;
  const n = checkPoints("samples", x, dim);
  const K = means.length;
  const { mode, distance } = nearestMode(means, x);
  const perMode = new Array<number>(K).fill(0);
  let hq = 0;
  for (let i = 0; i < n; i++) {
    if (distance[i] < threshold * std) {
      perMode[mode[i]]++;
      hq++;
    }
  }
  const w = weights ?? new Array<number>(K).fill(1 / K);
  let kl = Math.log(1 / Math.min(...w));
  if (hq > 0) {
    kl = 0;
    perMode.forEach((c, k) => {
      if (c > 0) kl += (c / hq) * Math.log(c / hq / w[k]);
    });
  }
  return {
    covered: perMode.filter((c) => c > 0).length,
    coveredStrict: perMode.filter((c, k) => c >= 0.2 * n * w[k]).length,
    modes: K,
    highQualityFraction: hq / n,
    perMode,
    klFromWeights: kl,
  };
}
