/**
 * The data sets of the harness, by name, behind one interface. Mixtures carry their closed form
 * (`mixture`), which every metric and test uses as the oracle.
 */
import type { Dataset, Sample } from "./dataset.ts";
import {
  type GaussianMixture,
  grid25Mixture,
  overlap3Mixture,
  ring8Mixture,
  sampleMixture,
  sampleMixtureBalanced,
  threeClustersMixture,
  twoComponent1dMixture,
} from "./mixtures.ts";
import { sampleMoons, sampleRing, sampleSwissRoll } from "./curves.ts";
import { csvDataset, readDataCsv } from "./csv_dataset.ts";

export type { Dataset, Sample };

/** A Gaussian mixture as a data set (its own closed form; labels are the components). */
export function mixtureDataset(
  name: string,
  mixture: GaussianMixture,
  draw: typeof sampleMixture = sampleMixture,
): Dataset {
  return {
    name,
    dim: mixture.means[0].length,
    mixture,
    classes: mixture.means.length,
    sample: (n, stream) => draw(mixture, n, stream),
  };
}

/** Name of a built-in data set. */
export type DatasetName =
  | "ring8"
  | "three_clusters"
  | "overlap3"
  | "grid25"
  | "mixture1d"
  | "ring"
  | "swiss_roll"
  | "moons";

/** Every built-in data set, by name. */
export const DATASETS: Record<DatasetName, Dataset> = {
  /** Seed 004's ring of 8 Gaussians: iid component draws, labels = mode index. */
  ring8: mixtureDataset("ring8", ring8Mixture()),
  /** Seed 000's three clusters: floor(n/3) points per cluster (as its demo builds them). */
  three_clusters: mixtureDataset("three_clusters", threeClustersMixture(), sampleMixtureBalanced),
  /** Three modes on the unit circle, std 0.5: classes that overlap. */
  overlap3: mixtureDataset("overlap3", overlap3Mixture()),
  /** 5x5 grid of tight modes (std 0.05). */
  grid25: mixtureDataset("grid25", grid25Mixture()),
  /** 1-D two-component mixture for `ddpm-1d`. */
  mixture1d: mixtureDataset("mixture1d", twoComponent1dMixture()),
  /** Seed 000's ring (radius 2 + 0.2 z). */
  ring: { name: "ring", dim: 2, sample: (n, s) => ({ x: sampleRing(n, s) }) },
  /** scikit-learn's swiss roll, 2-D, scaled by 1/4. */
  swiss_roll: { name: "swiss_roll", dim: 2, sample: (n, s) => ({ x: sampleSwissRoll(n, s) }) },
  /** scikit-learn's two moons, centred and scaled by 2. */
  moons: { name: "moons", dim: 2, classes: 2, sample: (n, s) => sampleMoons(n, s) },
};

/** Names of the built-in data sets (for validation messages). */
export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[];

/** A data set named in a config: a built-in name or `csv:<file of the project>`. */
export type DatasetRef = DatasetName | `csv:${string}`;

/** The data set a config names (CSV files are read from the project root `root`). */
export function resolveDataset(ref: DatasetRef, root: string): Dataset {
  if (ref.startsWith("csv:")) {
    const file = ref.slice(4);
    return csvDataset(file, readDataCsv(root, file));
  }
  const d = DATASETS[ref as DatasetName];
  if (!d) throw new Error(`unknown data set ${ref}`);
  return d;
}
