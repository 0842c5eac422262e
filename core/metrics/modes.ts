/**
 * Mode coverage, as the GAN 2-D benchmarks define it (VEEGAN, PacGAN).
 *
 * Each sample goes to its nearest mode mean (Euclidean). It is high quality if that distance is
 * below `threshold` std (3 by default). A mode is covered if at least one high-quality sample is
 * assigned to it; the stricter count asks for at least 0.2 N / K high-quality samples. The per-mode
 * histogram of high-quality samples is compared with uniform by KL(p || uniform) in nats.
 */
import { nearestMode } from "../data/mixtures.ts";
import { checkPoints } from "./points.ts";

/** The mode-coverage figures of one sample set. */
export interface ModeCoverage {
  /** Number of modes with at least one high-quality sample. */
  covered: number;
  /** Number of modes with at least 0.2 N / K high-quality samples. */
  coveredStrict: number;
  /** Number of modes K. */
  modes: number;
  /** Fraction of samples within `threshold` std of their nearest mode. */
  highQualityFraction: number;
  /** High-quality samples assigned to each mode. */
  perMode: number[];
  /**
   * KL(p || uniform) of the per-mode histogram p of high-quality samples, in nats. With no
   * high-quality sample at all it is log K, its value when all mass sits on one mode.
   */
  klFromUniform: number;
}

/** Mode coverage of rows of x against the given means and std. */
export function modeCoverage(
  x: ArrayLike<number>,
  means: readonly (readonly number[])[],
  std: number,
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
  let kl = Math.log(K);
  if (hq > 0) {
    kl = 0;
    for (const c of perMode) if (c > 0) kl += (c / hq) * Math.log((c / hq) * K);
  }
  return {
    covered: perMode.filter((c) => c > 0).length,
    coveredStrict: perMode.filter((c) => c >= (0.2 * n) / K).length,
    modes: K,
    highQualityFraction: hq / n,
    perMode,
    klFromUniform: kl,
  };
}
