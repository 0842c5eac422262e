/** The charts and notes of `seed002-pipeline`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { Seed002Samples } from "../core/recipes/seed002.ts";
import { finiteRows } from "../core/metrics/points.ts";
import { epochLossChart, pointRows, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { sample: { samples: number; seedRate: number; delta: number } };

const WINDOW: [number, number] = [-5, 5];

/** The charts and notes of a run (`reference`: draws of the true law, the background). */
export function seed002Page(
  c: Shown,
  r: {
    seedNet: Seed002Samples;
    correctedNet: Seed002Samples;
    exact: Seed002Samples;
    /** The seed's network's and the corrected network's losses per step. */
    losses: Float32Array[];
  },
): { charts: Chart[]; notes: string[] } {
  const panels: [string, Float32Array][] = [
    ["as printed: seed's network, ascending σ", r.seedNet.literal.x],
    ["printed sampler, exact score", r.exact.literal.x],
    ["corrected sampler, seed's network", r.seedNet.corrected.x],
    ["corrected: network and sampler", r.correctedNet.corrected.x],
    ["corrected sampler, exact score", r.exact.corrected.x],
  ];
  const finite = (x: Float32Array) => finiteRows(x, 2);
  const rows = panels.flatMap(([panel, x]) => pointRows(finite(x), { panel }, 1000));
  const n = r.seedNet.reversed.x.length / 2;
  const blown = (x: Float32Array) => x.length / 2 - finite(x).length / 2;
  return {
    charts: [
      {
        name: "samples",
        thumbnail: true,
        title: "The printed sampler against the corrected one",
        caption:
          "Annealed Langevin as printed (σ ascending, ending at σ = 10) and corrected (σ descending, " +
          `ε = ${c.sample.delta} σ²/σ_L²), with the seed's network, the corrected one (loss weighted by σ², output divided by σ) and the exact ` +
          "score (blown-up samples left out).",
        spec: scatterPanels({
          title: "Seed 002's sampler, printed and corrected",
          rows,
          panelOrder: panels.map(([p]) => p),
          panelTitle: "sampler",
          window: WINDOW,
          columns: 3,
        }),
      },
      epochLossChart(Array.from(r.losses[0]), {
        title: "Training loss of the seed's network",
        caption:
          "The DSM loss of each full-batch step, at that step's σ (unweighted: the small σ dominate).",
        chartTitle: "DSM loss per step",
        yTitle: "loss",
      }),
    ],
    notes: [
      "As printed, the sampler starts from 0.01 N(0, I) and walks the σ list upward, so its last level " +
      "is σ = 10 with ε = 0.1: it ends near the data convolved with wide noise, not near the data. " +
      `Reversing the list but keeping ε = ${c.sample.seedRate} (σ/σ_last)² makes the first steps ` +
      `ε = ${c.sample.seedRate} × 10⁶: ${blown(r.seedNet.reversed.x)} of ${n} samples blew up.`,
      `The corrected sampler on the seed's network: ${
        blown(r.seedNet.corrected.x)
      } of ${n} samples ` +
      "blew up (its score is wrong at large σ, where ε is largest, because the unweighted loss is " +
      "dominated by the smallest σ); weighting the loss by σ² and dividing the output by σ fix that. The seed's `data_dim` is " +
      "undefined inside its sampler; here it is the data's dimension (2).",
    ],
  };
}
