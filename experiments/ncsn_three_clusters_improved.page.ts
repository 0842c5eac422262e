/** The charts and notes of `ncsn-three-clusters-improved`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { NcsnRun } from "../core/recipes/ncsn.ts";
import { dataWindow } from "../core/report/charts.ts";
import {
  annealedSamplesChart,
  clusterShareChart,
  stepLossChart,
  weightErrorChart,
} from "../core/report/ncsn_charts.ts";

/** The config fields the page shows. */
export type Shown = {
  data: { dataset: string };
  noise: { levels: number; sigmaMin: number };
  sample: { samples: number; stepsPerLevel: number };
};

/** The charts and notes of a run. */
export function ncsnImprovedPage(
  c: Shown,
  r: NcsnRun & { metrics: { sigmaMaxUsed: number } },
): { charts: Chart[]; notes: string[] } {
  return {
    charts: [
      annealedSamplesChart(
        r.data,
        r.run.learned.x,
        dataWindow(c.data.dataset),
        `${c.sample.samples} samples (red) over the training data (grey).`,
      ),
      clusterShareChart(
        r.ours.perMode!,
        r.theirs.perMode!,
        "Shares of high-quality samples per cluster for the data, the learned score and the exact score.",
      ),
      weightErrorChart(
        r.run.weightError,
        "Learned minus exact line integral of the score between cluster centres, per noise level.",
      ),
      stepLossChart(r.losses, 50),
    ],
    notes: [
      `σ_1 = ${
        r.metrics.sigmaMaxUsed.toFixed(2)
      } (largest distance between training points), ${c.noise.levels} geometric levels to ` +
      `${c.noise.sigmaMin}, ${c.sample.stepsPerLevel} steps each. Mode-histogram KL ${
        r.ours.quality.modeKl!.toFixed(4)
      } and MMD² ` +
      `${
        r.ours.quality.mmd2.toFixed(4)
      } on ${c.sample.samples} samples; the exact score with the same sampler: KL ` +
      `${r.theirs.quality.modeKl!.toFixed(4)}, MMD² ${
        r.theirs.quality.mmd2.toFixed(4)
      }. The implied log-weight error ` +
      `over the top decade of levels is ${r.metrics.logWeightError.toFixed(3)} nats.`,
    ],
  };
}
