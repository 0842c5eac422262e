/** The charts and notes of `conditional-radius`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { RadiusRow } from "../core/metrics/conditional.ts";
import { COLORS, dataWindow, pointRows, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = {
  data: { dataset: string };
  radii: number[];
  sample: { perCondition: number };
};

/** The charts and notes of a run. */
export function conditionalRadiusPage(
  c: Shown,
  r: {
    data: Float32Array;
    byRadius: Float32Array[];
    rows: RadiusRow[];
    range: { low: number; high: number };
  },
): { charts: Chart[]; notes: string[] } {
  const panels = c.radii.map((v) => `r = ${v}`);
  const lim = Math.max(...c.radii, r.range.high) + 0.5;
  return {
    charts: [
      {
        name: "samples",
        title: "Samples per requested radius",
        caption:
          `${c.sample.perCondition} samples for each requested radius, over the training data (grey).`,
        spec: scatterPanels({
          title: "Radius-conditioned samples",
          rows: r.byRadius.flatMap((x, k) => pointRows(x, { panel: panels[k] })),
          panelOrder: panels,
          panelTitle: "requested radius",
          window: dataWindow(c.data.dataset),
          background: pointRows(r.data, {}, 800),
          columns: 3,
        }),
      },
      {
        name: "achieved",
        thumbnail: true,
        title: "Achieved against requested radius",
        caption:
          `Mean |x| of the samples (± one std) against the requested radius; the dashed line is y = x. ` +
          `Training radii: 98% lie in [${r.range.low.toFixed(2)}, ${r.range.high.toFixed(2)}].`,
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          title: "Achieved radius against requested radius",
          width: 360,
          height: 300,
          layer: [
            {
              data: { values: [{ x: 0, y: 0 }, { x: lim, y: lim }] },
              mark: { type: "line", strokeDash: [4, 4], color: "#999" },
              encoding: {
                x: {
                  field: "x",
                  type: "quantitative",
                  title: "requested radius",
                  scale: { domain: [0, lim] },
                },
                y: {
                  field: "y",
                  type: "quantitative",
                  title: "achieved mean |x|",
                  scale: { domain: [0, lim] },
                },
              },
            },
            {
              data: { values: [{ a: r.range.low, b: r.range.high }] },
              mark: { type: "rect", opacity: 0.12, color: COLORS.oracle },
              encoding: { x: { field: "a", type: "quantitative" }, x2: { field: "b" } },
            },
            {
              data: { values: r.rows },
              mark: { type: "rule", color: COLORS.samples },
              encoding: {
                x: { field: "requested", type: "quantitative" },
                y: { field: "low", type: "quantitative" },
                y2: { field: "high" },
              },
            },
            {
              data: { values: r.rows },
              mark: { type: "point", filled: true, size: 60, color: COLORS.samples },
              encoding: {
                x: { field: "requested", type: "quantitative" },
                y: { field: "achieved", type: "quantitative" },
                shape: { field: "inRange", type: "nominal", title: "vs training radii" },
              },
            },
          ],
        },
      },
    ],
    notes: [
      `The model saw radii in about [${r.range.low.toFixed(2)}, ${
        r.range.high.toFixed(2)
      }] (1st-99th percentile). ` +
      r.rows.map((row) => {
        const req = row.requested, got = row.achieved;
        if (row.inRange === "inside") return `asked ${req} (inside): mean |x| ${got.toFixed(2)}`;
        const edge = req < r.range.low ? r.range.low : r.range.high;
        const followed = (got - edge) / (req - edge);
        return `asked ${req} (outside): mean |x| ${got.toFixed(2)}, ${
          Math.round(100 * followed)
        }% of the way ` +
          `from the edge of the training radii (${edge.toFixed(2)}) to the request`;
      }).join("; ") +
      ". Outside the training range the radius embedding is extrapolated: the fraction of the " +
      "way it follows the request measures how far that extrapolation carries.",
    ],
  };
}
