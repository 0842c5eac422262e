/** The charts and notes of `score-fields`, built from what its parts return. */
import type { Chart } from "../core/harness/experiment.ts";
import { gridPoints } from "../core/metrics/fisher.ts";
import {
  arrowsOf,
  arrowUnit,
  COLORS,
  dataWindow,
  lineChart,
  pointRows,
  quiverPanels,
  type Row,
} from "../core/report/charts.ts";
import type { TrainedScoreNet } from "../core/recipes/score_net.ts";

/** Short label of a noise level, used in metric names ("0.532"). */
export function sigmaLabel(sigma: number): string {
  return String(Number(sigma.toPrecision(3)));
}

/** What training the network of one noise level gives the assembly. */
export type ScoreFieldPart = TrainedScoreNet & {
  metrics: Record<string, number>;
  /** The learned and exact fields on the quiver grid. */
  learned: Float32Array;
  truth: Float32Array;
};

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; measure: { grid: number }; sigmas: number[] };

/** The details, charts and notes of a run. */
export function scoreFieldsPage(
  c: Shown,
  data: Float32Array,
  byLevel: ScoreFieldPart[],
): { details: { fisherDuringTraining: Row[] }; charts: Chart[]; notes: string[] } {
  const win = dataWindow(c.data.dataset);
  const grid = gridPoints(win[0], win[1], c.measure.grid);
  const labels = c.sigmas.map(sigmaLabel);
  const fisherTrack = byLevel.flatMap((p, k) => p.track.map((r) => ({ ...r, sigma: labels[k] })));
  const lossRows = byLevel.flatMap((p, k) =>
    p.curve.map((l, e) => ({ epoch: e + 1, loss: l, sigma: labels[k] }))
  );
  const fields: Chart[] = byLevel.map((part, k) => {
    const label = labels[k];
    const panels = [`learned s_θ (σ = ${label})`, `exact ∇log p_σ (σ = ${label})`];
    return {
      name: `field_s${label}`,
      thumbnail: c.sigmas[k] === c.sigmas[c.sigmas.length - 2],
      title: `Score field at σ = ${label}`,
      caption:
        `Left: the network trained by DSM at σ = ${label}; right: the exact score of ${c.data.dataset} convolved ` +
        "with N(0, σ²I), on the same arrow scale (an arrow of the exact field's 90th-percentile magnitude " +
        "spans one grid cell; longer arrows are capped). Grey: training data.",
      spec: quiverPanels({
        title: `Learned vs exact score, σ = ${label}`,
        arrows: [
          ...arrowsOf(grid, part.learned, panels[0]),
          ...arrowsOf(grid, part.truth, panels[1]),
        ],
        panelOrder: panels,
        window: win,
        spacing: (win[1] - win[0]) / c.measure.grid,
        unit: arrowUnit(part.truth),
        colorOf: (p) => (p === panels[0] ? COLORS.samples : COLORS.oracle),
        background: pointRows(data, {}, 1000),
      }),
    };
  });
  return {
    details: { fisherDuringTraining: fisherTrack },
    charts: [
      {
        name: "fisher",
        title: "Fisher divergence during training",
        caption:
          "E|s_θ − ∇log p_σ|² on samples of the noised law, per noise level, as training proceeds.",
        spec: lineChart({
          title: "Fisher divergence to the exact noised score",
          rows: fisherTrack,
          x: { field: "epoch", title: "epoch" },
          y: { field: "fisher", title: "Fisher divergence", log: true },
          color: { field: "sigma", title: "σ" },
          points: true,
        }),
      },
      {
        name: "loss",
        title: "DSM loss",
        caption:
          "Mean denoising score-matching loss per epoch, per noise level (log scale): it settles at " +
          "the irreducible variance of the target −z/σ, which grows as 1/σ².",
        spec: lineChart({
          title: "DSM loss per epoch",
          rows: lossRows,
          x: { field: "epoch", title: "epoch" },
          y: { field: "loss", title: "loss", log: true },
          color: { field: "sigma", title: "σ" },
        }),
      },
      ...fields,
    ],
    notes: [
      "At large σ the noised law is nearly one broad Gaussian and the network learns its score almost exactly " +
      "(relative Fisher divergence near 0). At small σ the target −z/σ is huge and noisy, the exact field is " +
      "sharp near each mode and large far from the data, and the network fits it well only where data are: " +
      "compare the Fisher divergence on samples of p_σ with the grid average.",
    ],
  };
}
