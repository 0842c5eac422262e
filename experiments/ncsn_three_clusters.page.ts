/** The charts and notes of `ncsn-three-clusters`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { NcsnRun } from "../core/recipes/ncsn.ts";
import type { Judged } from "../core/recipes/quality.ts";
import { dataWindow, lineChart } from "../core/report/charts.ts";
import {
  annealedSamplesChart,
  clusterShareChart,
  stepLossChart,
  weightErrorChart,
} from "../core/report/ncsn_charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; sample: { samples: number; sigmaMax: number } };

/** The charts and notes of a run. */
export function ncsnPage(
  c: Shown,
  r: NcsnRun,
  spread?: { sigmaMax: number; judged: Judged },
): { charts: Chart[]; notes: string[] } {
  return {
    charts: [
      annealedSamplesChart(
        r.data,
        r.run.learned.x,
        dataWindow(c.data.dataset),
        `${c.sample.samples} samples of the trained model (red) over the training data (grey).`,
      ),
      clusterShareChart(
        r.ours.perMode!,
        r.theirs.perMode!,
        "Each cluster holds 1/3 of the data. The same sampler on the exact score recovers those shares " +
          "(its mode KL is in the notes), so σ_max = 1 is not what skews them: the learned score does, by " +
          "the log-weight error its line integral implies between the clusters (next chart).",
      ),
      weightErrorChart(
        r.run.weightError,
        "Learned minus exact line integral of the score from cluster 0's centre to each other " +
          "centre, per noise level: the error in the log-ratio of cluster weights that Langevin dynamics " +
          "equilibrates to wherever it still moves samples between clusters (0 = right weights).",
      ),
      {
        name: "level-error",
        title: "Learning error per noise level",
        caption:
          "Relative Fisher divergence of the learned score to the exact score of the noised mixture, on " +
          "draws of each noised law (0 = exact, 1 = no better than predicting 0).",
        spec: lineChart({
          title: "Relative Fisher divergence per noise level",
          rows: r.run.levelError.map((l) => ({ sigma: l.sigma, fisherRel: l.fisherRel })),
          x: { field: "sigma", title: "σ", log: true },
          y: { field: "fisherRel", title: "relative Fisher divergence", log: true },
          points: true,
        }),
      },
      stepLossChart(r.losses, 20),
    ],
    notes: [
      `Mode-histogram KL from uniform ${
        r.ours.quality.modeKl!.toFixed(3)
      } (exact score, same sampler: ` +
      `${r.theirs.quality.modeKl!.toFixed(3)}); MMD² ${
        r.ours.quality.mmd2.toFixed(4)
      } (exact score: ` +
      `${
        r.theirs.quality.mmd2.toFixed(4)
      }). The seed's own PyTorch code on this machine, training seeds 0-9: KL ` +
      "0.014-0.22, MMD² 0.026-0.32.",
      `Why the weights come out wrong: the same sampler on the exact score gets KL ${
        r.theirs.quality.modeKl!.toFixed(4)
      }, ` +
      "so the sampler is not the problem; the learned score is. It is accurate where the data are (relative " +
      `Fisher divergence ${
        r.run.levelError[0].fisherRel.toFixed(3)
      } at σ = ${c.sample.sigmaMax}), but the relative ` +
      "weights of separated clusters live in its line integral between them, through the low-density gaps where " +
      "DSM sees few noised points. There it is off by up to " +
      `${
        r.metrics.logWeightError.toFixed(2)
      } nats over the top decade of noise levels (chart above), and the ` +
      "levels where Langevin still moves samples between clusters equilibrate them to those wrong weights: " +
      "exp(error) predicts the skew of the sample counts. With σ_max = 1, a third of the distance between " +
      "clusters, no level is smooth enough for the score to be learned well between them. " +
      "`ncsn-three-clusters-improved` fixes it.",
      ...(spread ? [spreadNote(c, r, spread)] : []),
    ],
  };
}

/** Seed 002's top-level rule against seed 000's sigma_max, both on the exact score. */
function spreadNote(c: Shown, r: NcsnRun, s: { sigmaMax: number; judged: Judged }): string {
  const q = (j: Judged) =>
    `mode KL ${j.quality.modeKl!.toFixed(4)}, MMD² ${j.quality.mmd2.toFixed(4)}, ` +
    `${j.quality.highQualityFraction!.toFixed(3)} near a mode`;
  return `σ_max by the data's spread (seed 002's rule: σ_1 = the largest distance between training ` +
    `points, ${
      s.sigmaMax.toFixed(2)
    }) against seed 000's σ_max = ${c.sample.sigmaMax}, on the exact ` +
    `score with the same levels, steps and start noise: ${q(s.judged)}, against ${q(r.theirs)}. ` +
    "Seed 000's network is trained only up to σ = 1, so the rule is a change of training too " +
    "(`ncsn-three-clusters-improved`).";
}
