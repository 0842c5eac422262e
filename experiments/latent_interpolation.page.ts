/** The charts and notes of `latent-interpolation`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import { type Interpolation, METHODS } from "../core/recipes/interpolation.ts";
import { dataWindow, pointRows, round, scatterPanels } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; interpolate: { points: number } };

const TITLES = {
  slerp: "slerp between latents",
  latentLinear: "straight line between latents",
  dataLinear: "straight line in data space",
};

/** The charts and notes of a run (`background`: draws of the true law). */
export function latentInterpolationPage(
  c: Shown,
  r: Interpolation,
  background: Float32Array,
): { charts: Chart[]; notes: string[] } {
  const shownPairs = 12, perPath = c.interpolate.points;
  const rows = METHODS.flatMap((m) =>
    pointRows(r.paths[m], { panel: TITLES[m] }, shownPairs * perPath)
  );
  return {
    charts: [{
      name: "paths",
      thumbnail: true,
      title: "Paths between pairs of data points",
      caption:
        `${shownPairs} pairs, ${perPath} points per path (ends included), over the true law (grey).`,
      spec: scatterPanels({
        title: "Interpolation paths",
        rows,
        panelOrder: METHODS.map((m) => TITLES[m]),
        panelTitle: "path",
        window: dataWindow(c.data.dataset),
        background: pointRows(background, {}, background.length / 2),
      }),
    }],
    notes: [
      `The round trip data → latent → data comes back within ${round(r.roundTripError, 6)} on ` +
      "average: the map is invertible up to the solver's tolerance, so the paths' ends are the data " +
      "points themselves.",
    ],
  };
}
