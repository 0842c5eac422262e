/** The charts and notes of `sde-vs-ode`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { SweepConfig, SweepResult } from "../core/recipes/sde_samplers.ts";
import {
  dataWindow,
  lineChart,
  pointRows,
  type Row,
  scatterPanels,
} from "../core/report/charts.ts";

/** The config fields the page shows. */
export type Shown = { data: { dataset: string }; nll: { points: number }; sweep: SweepConfig };

/** The charts and notes of a run (`reference`: draws of the true law, the background). */
export function sdeVsOdePage(
  c: Shown,
  r: {
    sweep: SweepResult;
    nll: { nll: number; nfe: number };
    entropy: { entropy: number; stdError: number };
    reference: Float32Array;
  },
): { charts: Chart[]; notes: string[] } {
  const shown = r.sweep.samples
    .filter((s) => s.budget === c.sweep.headlineNfe)
    .flatMap((s) => pointRows(s.x, { panel: `${s.sampler} (NFE ${s.nfe})` }, 1000));
  const panels = c.sweep.samplers.map((s) =>
    shown.find((row) => String(row.panel).startsWith(`${s} `))!.panel as string
  );
  const chartRows: Row[] = r.sweep.rows.map((row) => ({
    ...row,
    series: `${row.sampler} · ${row.model}`,
  }));
  return {
    charts: [
      {
        name: "mmd-vs-nfe",
        thumbnail: true,
        title: "MMD² against NFE",
        caption:
          "Solid lines: the trained model; each sampler also run on the exact score (same colour family, " +
          "`exact`). The gap between a sampler's two curves at large NFE is learning error; the fall of the exact " +
          "curve with NFE is discretisation error.",
        spec: lineChart({
          title: "MMD² to ring8 against function evaluations",
          rows: chartRows.filter((r) => r.mmd2 !== null),
          x: { field: "nfe", title: "NFE", log: true },
          y: { field: "mmd2", title: "MMD²", log: true },
          color: { field: "series", title: "sampler · score" },
          points: true,
          width: 520,
        }),
      },
      {
        name: "modes-vs-nfe",
        title: "Modes covered against NFE",
        caption: "Modes with at least one high-quality sample.",
        spec: lineChart({
          title: "Modes covered against function evaluations",
          rows: chartRows,
          x: { field: "nfe", title: "NFE", log: true },
          y: { field: "modes", title: "modes covered", zero: true },
          color: { field: "series", title: "sampler · score" },
          points: true,
          width: 520,
        }),
      },
      {
        name: "time-vs-nfe",
        timing: true,
        title: "Wall time against NFE",
        caption: `Seconds to draw ${c.sweep.samples} samples (this run, not golden-checked).`,
        spec: lineChart({
          title: "Sampling time against function evaluations",
          rows: r.sweep.timeRows.filter((r) => r.model === "learned"),
          x: { field: "nfe", title: "NFE", log: true },
          y: { field: "seconds", title: "seconds", log: true },
          color: { field: "sampler", title: "sampler" },
          points: true,
        }),
      },
      {
        name: "samples",
        title: `Samples at NFE ${c.sweep.headlineNfe}`,
        caption:
          "The trained model's samples per sampler at the headline NFE, over the true law (grey).",
        spec: scatterPanels({
          title: `Samples per sampler at NFE ≈ ${c.sweep.headlineNfe}`,
          rows: shown,
          panelOrder: panels,
          panelTitle: "sampler",
          window: dataWindow(c.data.dataset),
          background: pointRows(r.reference, {}, 600),
          columns: 4,
        }),
      },
    ],
    notes: [
      "Departure from seed 000 exercise 3: the samplers use an exponential moving average of the " +
      "weights (rate 0.999, score_sde's practice) instead of the last iterate.",
      `Test NLL of the model ${r.nll.nll.toFixed(3)} nats (${
        (r.nll.nll / 2).toFixed(3)
      } per dimension) against the ` +
      `entropy of ring8, ${r.entropy.entropy.toFixed(3)} ± ${
        r.entropy.stdError.toFixed(3)
      } nats: the gap is the KL ` +
      "divergence from the data to the model (plus the N(0, I) prior standing in for the marginal at t = 1). " +
      `The ODE solve took ${r.nll.nfe} evaluations for ${c.nll.points} points.`,
    ],
  };
}
