/** The charts and notes of `ring-demo`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { RingDemo } from "../core/recipes/ring_demo.ts";
import { lineChart, pointRows, scatterPanels, trajectoryAnimation } from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { sample: { shown: number[]; samples: number } };

const WINDOW: [number, number] = [-4, 4];

/** The charts and notes of a run. */
export function ringDemoPage(
  c: Shown,
  r: RingDemo,
): { charts: Chart[]; notes: string[] } {
  const shown = c.sample.shown;
  const panel = (t: number) => `t = ${t}`;
  const reverse = (result: RingDemo["heuristic"]) =>
    shown.flatMap((t) =>
      pointRows(t === 0 ? result.x : result.trajectory.get(t)!, { panel: panel(t) }, 500)
    );
  const reversePanels = [...shown].sort((a, b) => b - a).map(panel);
  const h = r.radius.heuristic, e = r.radius.exact;
  return {
    charts: [
      {
        name: "forward",
        title: "Forward diffusion",
        caption: "The ring's points at the seed's time indices (t = 0: the data itself).",
        spec: scatterPanels({
          title: "Forward diffusion q(x_t | x_0)",
          rows: r.forward.flatMap((x, i) => pointRows(x, { panel: panel(shown[i]) })),
          panelOrder: shown.map(panel),
          panelTitle: "time index",
          window: WINDOW,
          color: "#1f77b4",
        }),
      },
      {
        name: "reverse",
        thumbnail: true,
        title: "Reverse diffusion with the seed's heuristic score",
        caption:
          "The reverse chain driven by −x/(1 − ᾱ_t + 0.1): the state entering step t, and the final " +
          "samples at t = 0. It pulls everything toward the origin: the ring never forms.",
        spec: scatterPanels({
          title: "Reverse diffusion, heuristic score",
          rows: reverse(r.heuristic),
          panelOrder: reversePanels,
          panelTitle: "time index",
          window: WINDOW,
        }),
      },
      {
        name: "reverse-exact",
        title: "Reverse diffusion with the exact score",
        caption:
          "The same chain from the same noise, driven by the exact score of the noised ring: the ring forms.",
        spec: scatterPanels({
          title: "Reverse diffusion, exact score",
          rows: reverse(r.exact),
          panelOrder: reversePanels,
          panelTitle: "time index",
          window: WINDOW,
          color: "#1f77b4",
        }),
      },
      {
        name: "reverse-animation",
        title: "Both chains, step by step",
        caption:
          "Move the slider: the exact score's chain (left) and the heuristic's (right) every 5 " +
          "steps from the same noise at t = 99 to the final samples, over the ring (grey).",
        spec: trajectoryAnimation({
          title: "Reverse diffusion from the same noise",
          chains: [
            { panel: "exact score", trajectory: r.exact.trajectory, final: r.exact.x },
            { panel: "heuristic score", trajectory: r.heuristic.trajectory, final: r.heuristic.x },
          ],
          window: WINDOW,
          background: pointRows(r.forward[0], {}, 500),
          points: 500,
        }),
      },
      {
        name: "score-error",
        title: "How far the heuristic score is from right",
        caption:
          "Relative Fisher divergence of the heuristic score to the exact score of the noised ring, on " +
          "forward draws at each t (0 = exact, 1 = no better than predicting 0).",
        spec: lineChart({
          title: "Heuristic score: relative Fisher divergence",
          rows: r.scoreError.map((s) => ({ t: s.t, fisherRel: s.fisherRel })),
          x: { field: "t", title: "time index t" },
          y: { field: "fisherRel", title: "relative Fisher divergence", log: true },
          points: true,
        }),
      },
    ],
    notes: [
      `Final samples (${c.sample.samples} per score): |x| ${h.mean.toFixed(3)} ± ${
        h.std.toFixed(3)
      } with the heuristic score, ${e.mean.toFixed(3)} ± ${
        e.std.toFixed(3)
      } with the exact score; ` +
      "the ring has radius 2 ± 0.2. The heuristic is the score of a Gaussian centred at the origin, " +
      "so it is close to right only at large t, where the noised ring is nearly N(0, I).",
      "Departure from seed 000: the seed draws one set of 500 points; here the forward panels show " +
      "those 500 and the reverse chains draw their own samples, the same noise for both scores.",
    ],
  };
}
