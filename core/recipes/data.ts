/**
 * The data section of a config: which data set and how many training points, and the draw of
 * those points from the run's `data` stream.
 */
import { type Dataset, type DatasetRef, resolveDataset } from "../data/datasets.ts";
import { PROJECT_ROOT } from "../runtime/root.ts";
import type { Streams } from "../runtime/random.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";

/** The data section: a data set (`N` the names an experiment allows) and the training-set size. */
export interface DataConfig<N extends DatasetRef = DatasetRef> {
  /** A built-in data set, or (where allowed) `csv:<file>` of the project (columns x,y[,label]). */
  dataset: N;
  trainSize: number;
}

/** The data section over the built-in data sets `names` (and CSV files of the project if `csv`). */
export function dataSection<N extends DatasetRef>(
  names: readonly N[],
  csv = false,
): Section<DataConfig<N>> {
  return {
    schema: {
      dataset: rules.dataset(names.filter((n) => !n.startsWith("csv:")), csv),
      trainSize: rules.positiveInt(1_000_000),
    },
  };
}

/** The data section of a run that trains nothing: only which known law (its exact score is used). */
export interface LawConfig<N extends DatasetRef = DatasetRef> {
  dataset: N;
}

/**
 * The data section over the built-in laws `names`, for runs with no training set (a `trainSize`
 * there would be a field that changes nothing).
 */
export function lawSection<N extends DatasetRef>(names: readonly N[]): Section<LawConfig<N>> {
  return { schema: { dataset: rules.dataset(names, false) } };
}

/** The law of `c`. */
export function lawOf(c: LawConfig): Dataset {
  return resolveDataset(c.dataset, PROJECT_ROOT);
}

/** The training set of a run. */
export interface TrainingData {
  dataset: Dataset;
  /** `trainSize` points, flat row-major. */
  x: Float32Array;
  /** Their classes, for data sets with labels. */
  labels?: Int32Array;
}

/** Draw the training set of `c` from the run's `data` stream. */
export function loadData(c: DataConfig, streams: Streams): TrainingData {
  const dataset = resolveDataset(c.dataset, PROJECT_ROOT);
  return { dataset, ...dataset.sample(c.trainSize, streams.get("data")) };
}
