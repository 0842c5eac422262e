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
import type { MetricSpec } from "../harness/experiment.ts";
import { rules } from "../harness/schema.ts";
import { Streams } from "../runtime/random.ts";
import { mmdPermutationTest, MmdReference } from "./mmd.ts";
import { modeCoverage } from "./modes.ts";
import { checkPoints } from "./points.ts";

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

/** The config rule of a {@link QualityOptions} field. */
export const QUALITY_RULE = rules.object({
  referenceSize: rules.int(2, 100_000),
  permutations: rules.int(1, 10_000),
  permutationSize: rules.int(2, 100_000),
});

/** Defaults of {@link QualityOptions}: 5000 reference points, 200 permutations of 1000 vs 1000. */
export const DEFAULT_QUALITY: QualityOptions = {
  referenceSize: 5000,
  permutations: 200,
  permutationSize: 1000,
};

/** The sample-quality figures (the mode and log-density ones only for mixtures). */
export interface Quality {
  mmd2: number;
  mmd2NoiseFloor: number;
  mmdPValue: number;
  modesCovered?: number;
  modesCoveredStrict?: number;
  highQualityFraction?: number;
  modeKl?: number;
  meanLogDensity?: number;
  meanLogDensityTrue?: number;
}

/** Descriptions and golden tolerances of the {@link Quality} figures. */
export const QUALITY_METRICS: Record<keyof Quality, MetricSpec> = {
  mmd2: {
    description:
      "unbiased MMD² to 5000 true draws, RBF kernel summed over h ∈ {0.1, 0.2, 0.5, 1, 2}",
    better: "lower",
    tolerance: { abs: 0.003 },
    headline: true,
  },
  mmd2NoiseFloor: {
    description:
      "the same MMD² for a second true sample of the same size: what a perfect model gets",
    tolerance: { abs: 1e-9 },
  },
  mmdPValue: {
    description:
      "permutation-test p-value of 'samples and truth are one law' (1000 vs 1000, 200 permutations)",
    better: "higher",
    tolerance: { abs: 0.25 },
  },
  modesCovered: {
    description: "modes with at least one high-quality sample (within 3 std of its nearest mode)",
    better: "higher",
    tolerance: { abs: 0 },
    headline: true,
  },
  modesCoveredStrict: {
    description: "modes holding at least 0.2 N / K high-quality samples",
    better: "higher",
    tolerance: { abs: 0 },
  },
  highQualityFraction: {
    description: "fraction of samples within 3 std of their nearest mode",
    better: "higher",
    tolerance: { abs: 0.01 },
    headline: true,
  },
  modeKl: {
    description: "KL (nats) of the per-mode histogram of high-quality samples from uniform",
    better: "lower",
    tolerance: { abs: 0.01 },
  },
  meanLogDensity: {
    description: "mean true log-density of the samples",
    better: "higher",
    tolerance: { abs: 0.05 },
    unit: "nats",
  },
  meanLogDensityTrue: {
    description: "mean true log-density of a true sample of the same size (the reference value)",
    tolerance: { abs: 1e-9 },
    unit: "nats",
  },
};

/** Measures samples of one data set against its true law. */
export class QualityJudge {
  readonly reference: Float32Array;
  readonly #mmd: MmdReference;
  readonly #floors = new Map<number, { mmd2: number; meanLogDensity?: number }>();

  constructor(readonly dataset: Dataset, readonly options: QualityOptions = DEFAULT_QUALITY) {
    this.reference =
      dataset.sample(options.referenceSize, referenceStream(`reference/${dataset.name}`)).x;
    this.#mmd = new MmdReference(this.reference, dataset.dim);
  }

  /** MMD^2 and mean log-density of a second true sample of `n` points (computed once per n). */
  floor(n: number): { mmd2: number; meanLogDensity?: number } {
    let f = this.#floors.get(n);
    if (!f) {
      const x = this.dataset.sample(n, referenceStream(`floor/${this.dataset.name}/${n}`)).x;
      const m = this.dataset.mixture;
      f = {
        mmd2: this.#mmd.mmd2(x),
        meanLogDensity: m ? mean(mixtureLogDensity(m, x)) : undefined,
      };
      this.#floors.set(n, f);
    }
    return f;
  }

  /**
   * The scale of the noise floor for n samples: the root mean square of MMD^2 over `repeats`
   * independent true samples of n points. A single second sample's MMD^2 is itself one noisy draw
   * (it can be near 0 or negative); "within k times the noise floor" means |MMD^2| <= k * this.
   */
  floorScale(n: number, repeats = 5): number {
    let s = 0;
    for (let r = 0; r < repeats; r++) {
      const x =
        this.dataset.sample(n, referenceStream(`floor-scale/${this.dataset.name}/${n}/${r}`)).x;
      s += this.#mmd.mmd2(x) ** 2;
    }
    return Math.sqrt(s / repeats);
  }

  /** The MMD^2 of samples to the reference, without the rest (for sweeps). */
  mmd2(x: Float32Array): number {
    return this.#mmd.mmd2(x);
  }

  /** Every quality figure of the samples `x`, plus the per-mode counts. */
  measure(x: Float32Array): { quality: Quality; perMode?: number[] } {
    const dim = this.dataset.dim;
    const n = checkPoints("samples", x, dim, 2);
    const floor = this.floor(n);
    const test = mmdPermutationTest(x, this.reference, dim, {
      size: this.options.permutationSize,
      permutations: this.options.permutations,
      stream: referenceStream(`permutation/${this.dataset.name}`),
    });
    const quality: Quality = {
      mmd2: this.#mmd.mmd2(x),
      mmd2NoiseFloor: floor.mmd2,
      mmdPValue: test.pValue,
    };
    const m = this.dataset.mixture;
    if (!m) return { quality };
    const cov = modeCoverage(x, m.means, m.std);
    Object.assign(quality, {
      modesCovered: cov.covered,
      modesCoveredStrict: cov.coveredStrict,
      highQualityFraction: cov.highQualityFraction,
      modeKl: cov.klFromUniform,
      meanLogDensity: mean(mixtureLogDensity(m, x)),
      meanLogDensityTrue: floor.meanLogDensity!,
    });
    return { quality, perMode: cov.perMode };
  }
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
