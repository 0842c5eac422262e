/** The charts of `ddpm-1d`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import { type GaussianMixture, mixtureLogDensity } from "../core/data/mixtures.ts";
import type { ScoreCheck } from "../core/recipes/ddpm.ts";
import { COLORS, histogramWithDensity, lineChart, type Row } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { sample: { samples: number }; scores: { steps: number[] } };

/** The x window of the score grid and the histogram. */
export const WINDOW: [number, number] = [-5, 5];

const LEARNED = "learned −ε_θ/√(1−ᾱ)", EXACT = "exact ∇log p_t";

/** The charts of a run. */
export function ddpm1dPage(
  c: Shown,
  r: { mixture: GaussianMixture; grid: Float32Array; scores: ScoreCheck[]; samples: Float32Array },
): { charts: Chart[] } {
  const rows: Row[] = r.scores.flatMap((s) =>
    Array.from(r.grid).flatMap((x, i) => [
      { x, score: s.learned[i], which: LEARNED, panel: `t = ${s.t}` },
      { x, score: s.exact[i], which: EXACT, panel: `t = ${s.t}` },
    ])
  );
  const density = Array.from(
    r.grid,
    (x) => ({ x, p: Math.exp(mixtureLogDensity(r.mixture, [x])[0]) }),
  );
  return {
    charts: [
      {
        name: "scores",
        thumbnail: true,
        title: "Learned and exact score",
        caption:
          "The ε-network as a score, −ε_θ(x, t)/√(1 − ᾱ_t) (red), and the exact score of the noised " +
          "mixture (blue), at each t. At small t the score is steep and the division by √(1 − ᾱ_t) amplifies " +
          "the network's error; far from the data it is learned from few noised points.",
        spec: lineChart({
          title: "Score of the noised law: learned vs exact",
          rows,
          x: { field: "x", title: "x" },
          y: { field: "score", title: "score" },
          color: {
            field: "which",
            title: "",
            scale: { [LEARNED]: COLORS.samples, [EXACT]: COLORS.oracle },
          },
          width: 200,
          height: 180,
          facet: {
            field: "panel",
            order: c.scores.steps.map((t) => `t = ${t}`),
            independentY: true,
          },
        }),
      },
      {
        name: "histogram",
        title: "Samples over the true density",
        caption:
          `Histogram of ${c.sample.samples} ancestral samples (density-normalised) and the true density.`,
        spec: histogramWithDensity({
          title: "DDPM samples over the true density",
          samples: r.samples,
          density,
          domain: WINDOW,
          bins: 80,
        }),
      },
    ],
  };
}
