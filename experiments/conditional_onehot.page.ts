/** The charts of `conditional-onehot`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import {
  barChart,
  dataWindow,
  epochLossChart,
  pointRows,
  scatterPanels,
} from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; sample: { perCondition: number } };

/** The charts of a run. */
export function conditionalOnehotPage(
  c: Shown,
  r: { data: Float32Array; byLabel: Float32Array[]; accuracy: number[]; lossByEpoch: number[] },
): { charts: Chart[] } {
  const K = r.byLabel.length;
  const panels = Array.from({ length: K }, (_, k) => `label ${k}`);
  return {
    charts: [
      {
        name: "samples",
        title: "Samples per requested label",
        caption:
          `${c.sample.perCondition} samples asked for each label, over the training data (grey).`,
        spec: scatterPanels({
          title: "Conditional samples by requested label",
          rows: r.byLabel.flatMap((x, k) => pointRows(x, { panel: panels[k], label: k })),
          panelOrder: panels,
          panelTitle: "requested label",
          modeColor: { field: "label", title: "requested label", modes: K },
          window: dataWindow(c.data.dataset),
          background: pointRows(r.data, {}, 800),
          columns: 4,
        }),
      },
      {
        name: "accuracy",
        title: "Conditional accuracy per label",
        caption:
          "Fraction of the samples asked for a label that land within 3 std of that label's mode.",
        spec: barChart({
          title: "Conditional accuracy per label",
          rows: r.accuracy.map((a, k) => ({ label: panels[k], accuracy: a, mode: k })),
          x: { field: "label", title: "requested label" },
          y: { field: "accuracy", title: "conditional accuracy" },
          modeColor: { field: "mode", modes: K },
        }),
      },
      epochLossChart(r.lossByEpoch, {
        title: "Training loss",
        caption: "Mean ε-prediction MSE per epoch (log scale).",
        chartTitle: "Training loss",
        yTitle: "MSE loss",
      }),
    ],
  };
}
