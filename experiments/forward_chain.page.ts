/** The charts and notes of `forward-chain`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import { dataWindow, lineChart, pointRows, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; check: { steps: number[] } };

/** The charts and notes of a run. */
export function forwardChainPage(
  c: Shown,
  r: {
    states: Map<number, Float32Array>;
    closedForm: Float32Array[];
    residuals: { t: number; mean: number; variance: number }[];
  },
): { charts: Chart[]; notes: string[] } {
  const panel = (t: number) => `t = ${t}`;
  const worst = r.residuals.reduce((a, b) =>
    Math.abs(b.variance - 1) > Math.abs(a.variance - 1) ? b : a
  );
  return {
    charts: [
      {
        name: "states",
        thumbnail: true,
        title: "The chain's states beside closed-form draws",
        caption:
          "The chain run step by step from the data (1) beside q(x_t | x_0) drawn directly from the " +
          "same points. The two clouds must be one law at every t.",
        spec: scatterPanels({
          title: "Forward chain and closed form",
          rows: c.check.steps.flatMap((t, i) => [
            ...pointRows(r.closedForm[i], { panel: panel(t), source: 0 }, 1000),
            ...pointRows(r.states.get(t)!, { panel: panel(t), source: 1 }, 1000),
          ]),
          panelOrder: c.check.steps.map(panel),
          panelTitle: "time index",
          window: dataWindow(c.data.dataset),
          modeColor: { field: "source", title: "0 closed form, 1 chain", modes: 2 },
        }),
      },
      {
        name: "residuals",
        title: "Standardised residuals",
        caption:
          "Variance of (x_t − √ᾱ_t x_0)/√(1 − ᾱ_t) over all points and coordinates: 1 for the closed form.",
        spec: lineChart({
          title: "Residual variance against t",
          rows: r.residuals.map((x) => ({ t: x.t, variance: x.variance })),
          x: { field: "t", title: "time index t" },
          y: { field: "variance", title: "residual variance" },
          points: true,
        }),
      },
    ],
    notes: [
      `The residual variance stays within ${Math.abs(worst.variance - 1).toExponential(2)} of 1 ` +
      `(worst at t = ${worst.t}), its mean within ${
        Math.max(...r.residuals.map((x) => Math.abs(x.mean))).toExponential(2)
      } of 0: the step-by-step chain and the closed form agree point by point, as seed 001 derives.`,
    ],
  };
}
