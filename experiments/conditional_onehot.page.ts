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
export type Shown = {
  data: { dataset: string };
  sample: { perCondition: number };
  langevin: { levels: number; stepsPerLevel: number; alpha: number };
};

/** An accuracy summary per label (`labelAccuracy`). */
type Accuracy = { perLabel: number[]; min: number; mean: number };

/** The charts of a run. */
export function conditionalOnehotPage(
  c: Shown,
  r: {
    data: Float32Array;
    byLabel: Float32Array[];
    accuracy: number[];
    lossByEpoch: number[];
    langevin: { learned: Float32Array[]; accuracy: Accuracy; exact: Accuracy };
  },
): { charts: Chart[]; notes: string[] } {
  const K = r.byLabel.length;
  const panels = Array.from({ length: K }, (_, k) => `label ${k}`);
  const lv = r.langevin, f = (a: Accuracy) => `min ${a.min.toFixed(3)}, mean ${a.mean.toFixed(3)}`;
  // One panel per requested label, coloured by it, over the data.
  const byLabel = (title: string, samples: Float32Array[]) =>
    scatterPanels({
      title,
      rows: samples.flatMap((x, k) => pointRows(x, { panel: panels[k], label: k })),
      panelOrder: panels,
      panelTitle: "requested label",
      modeColor: { field: "label", title: "requested label", modes: K },
      window: dataWindow(c.data.dataset),
      background: pointRows(r.data, {}, 800),
      columns: 4,
    });
  return {
    notes: [
      `Conditional Langevin (seed 000, exercise 4) with the same network: annealed Langevin ` +
      `x + ε s + √(2ε) z on the chain's marginals q_t(x | label) at ${c.langevin.levels} time ` +
      `indices from T − 1 to 0, ${c.langevin.stepsPerLevel} steps each, ε = ${c.langevin.alpha} ` +
      `σ_t² / σ_0², s = −ε_θ(x, t, label) / σ_t. Accuracy ${f(lv.accuracy)}; the same sampler on ` +
      `the exact conditional score (label k's law is mode k): ${f(lv.exact)}.`,
    ],
    charts: [
      {
        name: "samples",
        title: "Samples per requested label",
        caption:
          `${c.sample.perCondition} samples asked for each label, over the training data (grey).`,
        spec: byLabel("Conditional samples by requested label", r.byLabel),
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
      {
        name: "langevin",
        title: "Conditional Langevin samples per requested label",
        caption: `${c.sample.perCondition} samples per label from annealed Langevin with the ` +
          "conditional network's score (notes), over the training data (grey).",
        spec: byLabel("Conditional Langevin samples by requested label", lv.learned),
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
