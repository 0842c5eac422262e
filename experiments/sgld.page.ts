/** The charts and notes of `sgld`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { SgldStudy } from "../core/recipes/sgld.ts";
import { barChart, pointRows, round, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { chains: { stepSizes: number[]; batchSizes: number[] } };

/** The charts and notes of a run. */
export function sgldPage(c: Shown, r: SgldStudy): { charts: Chart[]; notes: string[] } {
  const h = c.chains.stepSizes[c.chains.stepSizes.length - 1];
  const shown = [
    `ula_h${h}`,
    ...c.chains.batchSizes.map((b) => `sgld_b${b}_h${h}`),
    ...c.chains.batchSizes.map((b) => `sgld_b${b}_decay`),
  ];
  const sets = new Map(r.sets.map((s) => [s.label, s]));
  const ula = r.sets.filter((s) => s.predictedRatio !== undefined);
  return {
    charts: [
      {
        name: "chains",
        thumbnail: true,
        title: "Chains in whitened coordinates",
        caption:
          "Final states whitened by the exact posterior (the target is N(0, I), grey): at a constant step " +
          "the minibatch noise inflates the spread; decaying steps shrink it back." +
          " The target, N(0, I), puts 86% of its mass inside radius 2.",
        spec: scatterPanels({
          title: "Whitened chain states",
          rows: shown.flatMap((label) =>
            pointRows(sets.get(label)!.whitened, { panel: label }, 800)
          ),
          panelOrder: shown,
          panelTitle: "sampler",
          window: [-6, 6],
          columns: 3,
        }),
      },
      {
        name: "variance",
        title: "Spread against the exact posterior",
        caption: "trace of the chains' covariance over the posterior's (1 = right), per sampler.",
        spec: barChart({
          title: "Variance ratio",
          rows: r.sets.map((s) => ({ sampler: s.label, ratio: round(s.varianceRatio) })),
          x: { field: "sampler", title: "sampler" },
          y: { field: "ratio", title: "variance ratio" },
        }),
      },
    ],
    notes: [
      "Full-batch Langevin's variance ratio measured against its closed form: " +
      ula.map((s) =>
        `${s.label} ${round(s.varianceRatio, 3)} (predicted ${round(s.predictedRatio!, 3)})`
      )
        .join(", ") +
      ".",
    ],
  };
}
