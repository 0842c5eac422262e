/**
 * Sample quality against the true law, the figures every generative experiment reports:
 * MMD^2 to a reference sample (with its noise floor and a permutation p-value), mode coverage, and
 * the mean true log-density of the samples (beside the same for true samples).
 *
 * The reference and the second true sample are drawn with a fixed seed, independent of the run's
 * seed, so every run and every sampler is measured against the same draws.
 */
import type { Dataset } from "../data/datasets.ts";
import { mixtureLogDensity } from "../data/mixtures.ts";
import type { SampleProbe } from "./probe.ts";
import { Streams } from "../runtime/random.ts";
import { mmdPermutationTest, MmdReference } from "./mmd.ts";
import { modeCoverage } from "./modes.ts";
import { mean } from "./statistics.ts";
import { checkPoints, checkRows, countNonFinite, finiteRows, MetricInputError } from "./points.ts";

/** Seed of the reference draws (fixed: the yardstick must not move with the run's seed). */
export const REFERENCE_SEED = 20251123;

/** A fresh stream of the fixed reference seed (the same draws on every call). */
function referenceStream(name: string) {
  return new Streams(REFERENCE_SEED).get(name);
}

/** Sizes of the quality measurement. */
export interface QualityOptions {
  /** Size of the reference sample from the true law (5000). */
  referenceSize: number;
  /** Permutations of the MMD test (200). */
  permutations: number;
  /** Points per side in the permutation test (1000). */
  permutationSize: number;
}

/** Defaults of {@link QualityOptions}: 5000 reference points, 200 permutations of 1000 vs 1000. */
export const DEFAULT_QUALITY: QualityOptions = {
  referenceSize: 5000,
  permutations: 200,
  permutationSize: 1000,
};

/** The quick profiles' {@link QualityOptions}: 1000 reference points, 50 permutations of 250. */
export const QUICK_QUALITY: QualityOptions = {
  referenceSize: 1000,
  permutations: 50,
  permutationSize: 250,
};

/** The sample-quality figures (the mode and log-density ones only for mixtures). */
export interface Quality {
  mmd2: number;
  mmd2NoiseFloor: number;
  mmdPValue: number;
  /** Samples with a non-finite coordinate (the rest are measured; they count as not high quality). */
  nonFinite: number;
  modesCovered?: number;
  modesCoveredStrict?: number;
  highQualityFraction?: number;
  modeKl?: number;
  meanLogDensity?: number;
  meanLogDensityTrue?: number;
  logDensityGap?: number;
}

/** The figures with a direction (the ones a probe measures again; the p-value is left out). */
const GATED = new Set([
  "mmd2",
  "nonFinite",
  "modesCovered",
  "modesCoveredStrict",
  "highQualityFraction",
  "modeKl",
  "logDensityGap",
]);

/**
 * What a judge measures against, fixed by the data set and the reference size alone (the draws
 * come from the fixed reference seed): the reference sample with its MMD yardstick, the noise
 * floors by sample size, and their scales. Kept per data set object (a memo of pure functions of
 * constants, so a worker's later runs on the same data set reuse them, with the same bits): the
 * reference's pair sums and a floor cost ~0.2 s and ~0.6 s at 5000 points.
 */
interface Yardstick {
  reference: Float32Array;
  mmd: MmdReference;
  floors: Map<number, { mmd2: number; meanLogDensity?: number }>;
  floorScales: Map<string, number>;
}

const yardsticks = new WeakMap<Dataset, Map<number, Yardstick>>();

/** The yardstick of `dataset` at `referenceSize` points, made on first use. */
function yardstickOf(dataset: Dataset, referenceSize: number): Yardstick {
  let bySize = yardsticks.get(dataset);
  if (!bySize) yardsticks.set(dataset, bySize = new Map());
  let y = bySize.get(referenceSize);
  if (!y) {
    const reference = dataset.sample(referenceSize, referenceStream(`reference/${dataset.name}`)).x;
    y = {
      reference,
      mmd: new MmdReference(reference, dataset.dim),
      floors: new Map(),
      floorScales: new Map(),
    };
    bySize.set(referenceSize, y);
  }
  return y;
}

/** Measures samples of one data set against its true law. */
export class QualityJudge {
  readonly reference: Float32Array;
  readonly #mmd: MmdReference;
  readonly #yardstick: Yardstick;

  constructor(readonly dataset: Dataset, readonly options: QualityOptions = DEFAULT_QUALITY) {
    this.#yardstick = yardstickOf(dataset, options.referenceSize);
    this.reference = this.#yardstick.reference;
    this.#mmd = this.#yardstick.mmd;
  }

  /** MMD^2 and mean log-density of a second true sample of `n` points (computed once per n). */
  floor(n: number): { mmd2: number; meanLogDensity?: number } {
    let f = this.#yardstick.floors.get(n);
    if (!f) {
      const x = this.dataset.sample(n, referenceStream(`floor/${this.dataset.name}/${n}`)).x;
      const m = this.dataset.mixture;
      f = {
        mmd2: this.#mmd.mmd2(x),
        meanLogDensity: m ? mean(mixtureLogDensity(m, x)) : undefined,
      };
      this.#yardstick.floors.set(n, f);
    }
    return f;
  }

  /**
   * The scale of the noise floor for n samples: the root mean square of MMD^2 over `repeats`
   * independent true samples of n points. A single second sample's MMD^2 is itself one noisy draw
   * (it can be near 0 or negative); "within k times the noise floor" means |MMD^2| <= k * this.
   */
  floorScale(n: number, repeats = 5): number {
    const key = `${n}/${repeats}`;
    let scale = this.#yardstick.floorScales.get(key);
    if (scale === undefined) {
      let s = 0;
      for (let r = 0; r < repeats; r++) {
        const x =
          this.dataset.sample(n, referenceStream(`floor-scale/${this.dataset.name}/${n}/${r}`)).x;
        s += this.#mmd.mmd2(x) ** 2;
      }
      this.#yardstick.floorScales.set(key, scale = Math.sqrt(s / repeats));
    }
    return scale;
  }

  /** The MMD^2 of samples to the reference, without the rest (for sweeps). */
  mmd2(x: Float32Array): number {
    return this.#mmd.mmd2(x);
  }

  /**
   * Every quality figure of the samples `x` but the permutation p-value, plus the per-mode counts.
   * Rows with a non-finite coordinate are counted (`nonFinite`) and left out of the rest; they
   * count as not high quality. A sample set with fewer than 2 finite rows is refused.
   */
  figures(
    x: Float32Array,
  ): { quality: Omit<Quality, "mmdPValue">; perMode?: number[]; finite: Float32Array } {
    const dim = this.dataset.dim;
    checkRows("samples", x, dim);
    const n = x.length / dim;
    const nonFinite = countNonFinite(x, dim);
    const finite = finiteRows(x, dim);
    if (n >= 2 && finite.length / dim < 2) {
      throw new MetricInputError(
        `samples: ${nonFinite} of ${n} rows are not finite (NaN or ±Infinity): the sampler ` +
          "diverged, so no quality figure can be measured",
      );
    }
    checkPoints("samples (finite rows)", finite, dim, 2);
    const floor = this.floor(n);
    const quality: Omit<Quality, "mmdPValue"> = {
      mmd2: this.#mmd.mmd2(finite),
      mmd2NoiseFloor: floor.mmd2,
      nonFinite,
    };
    const m = this.dataset.mixture;
    if (!m) return { quality, finite };
    const cov = modeCoverage(finite, m.means, m.std, m.weights);
    const meanLogDensity = mean(mixtureLogDensity(m, finite));
    Object.assign(quality, {
      modesCovered: cov.covered,
      modesCoveredStrict: cov.coveredStrict,
      highQualityFraction: cov.perMode.reduce((a, b) => a + b, 0) / n,
      modeKl: cov.klFromWeights,
      meanLogDensity,
      meanLogDensityTrue: floor.meanLogDensity!,
      logDensityGap: Math.abs(meanLogDensity - floor.meanLogDensity!),
    });
    return { quality, perMode: cov.perMode, finite };
  }

  /** Every quality figure of the samples `x`, plus the per-mode counts. */
  measure(x: Float32Array): { quality: Quality; perMode?: number[] } {
    const { quality, perMode, finite } = this.figures(x);
    const test = mmdPermutationTest(finite, this.reference, this.dataset.dim, {
      size: this.options.permutationSize,
      permutations: this.options.permutations,
      stream: referenceStream(`permutation/${this.dataset.name}`),
    });
    return { quality: { ...quality, mmdPValue: test.pValue }, perMode };
  }

  /**
   * The probe of samples `x` for the sensitivity analysis: the same figures (named with `prefix`,
   * the p-value left out) of degraded copies of `x`.
   */
  probe(x: Float32Array, prefix = ""): SampleProbe {
    const m = this.dataset.mixture;
    return {
      x,
      dim: this.dataset.dim,
      modes: m ? { means: m.means, weights: m.weights } : undefined,
      measure: (y) =>
        Object.fromEntries(
          Object.entries(this.figures(y).quality)
            .filter(([k]) => GATED.has(k))
            .map(([k, v]) => [prefix + k, v as number]),
        ),
    };
  }
}
