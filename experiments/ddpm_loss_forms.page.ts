/** The figures, notes and per-form metrics of `ddpm-loss-forms`, built from its parts. */
import type { Chart } from "../core/harness/experiment.ts";
import type { Quality } from "../core/metrics/quality.ts";
import {
  barChart,
  dataWindow,
  lineChart,
  pointRows,
  type Row,
  scatterPanels,
} from "../core/report/charts.ts";

/** What one form's part returns (the `oracle` part: the exact ε, no training). */
export type FormPart = {
  x: Float32Array;
  quality: Omit<Quality, "mmdPValue">;
  lossByEpoch?: number[];
  /** RMS error against the exact ε (per coordinate), one per `check.times`. */
  epsError?: number[];
  lossSpread?: number;
};

const LABELS: Record<string, string> = {
  eps: "ε form (seed 004)",
  score: "score form",
  oracle: "exact ε",
};

/** The config fields the page shows. */
type Shown = {
  data: { dataset: string };
  train: { epochs: number };
  forms: { outputs: string[] };
  check: { points: number; times: number[]; lastEpochs: number };
};

/** Per-form metrics, charts and notes. */
export function lossFormsPage(
  c: Shown,
  data: Float32Array,
  parts: Record<string, FormPart>,
): { metrics: Record<string, number>; charts: Chart[]; notes: string[] } {
  const names = [...c.forms.outputs, "oracle"];
  const metrics: Record<string, number> = {};
  const bars: Row[] = [], errors: Row[] = [], losses: Row[] = [], points: Row[] = [];
  for (const f of names) {
    const p = parts[f], q = p.quality;
    metrics[`hq_${f}`] = q.highQualityFraction!;
    metrics[`mmd2_${f}`] = q.mmd2;
    metrics[`modes_${f}`] = q.modesCovered!;
    bars.push({ form: LABELS[f], hq: q.highQualityFraction!, mmd2: q.mmd2 });
    points.push(...pointRows(p.x, { form: LABELS[f] }, 1500));
    if (p.lossSpread !== undefined) metrics[`lossSpread_${f}`] = p.lossSpread;
    c.check.times.forEach((t, i) => {
      if (!p.epsError) return;
      metrics[`epsError_${f}_t${t}`] = p.epsError[i];
      errors.push({ form: LABELS[f], t, error: p.epsError[i] });
    });
    const loss = p.lossByEpoch ?? [];
    loss.forEach((l, e) => losses.push({ form: LABELS[f], epoch: e + 1, loss: l / loss[0] }));
  }
  const charts: Chart[] = [
    {
      name: "samples",
      title: "Samples of each form",
      caption:
        "5000-sample ancestral runs of each network (1500 shown) and of the exact ε, over the data.",
      spec: scatterPanels({
        title: "Samples per loss form",
        rows: points,
        panelOrder: names.map((f) => LABELS[f]),
        panelTitle: "form",
        window: dataWindow(c.data.dataset),
        background: pointRows(data, {}, 1500),
        columns: names.length,
      }),
      thumbnail: true,
    },
    {
      name: "eps-error",
      title: "Error against the exact ε over time",
      caption:
        `Relative RMS error of each network's ε (the score form read as ε = −√(1 − ᾱ_t) s) ` +
        `against the chain's exact ε on ${c.check.points} draws of q_t, per time index.`,
      spec: lineChart({
        title: "RMS of ε_θ − ε* on q_t",
        rows: errors,
        x: { field: "t", title: "time index t" },
        y: { field: "error", title: "RMS error", log: true },
        color: { field: "form", title: "form" },
        points: true,
      }),
    },
    {
      name: "quality",
      title: "Samples near a mode",
      caption:
        "Fraction of samples within 3 std of a mode, per form and for the exact ε with the same sampler.",
      spec: barChart({
        title: "Fraction within 3 std of a mode",
        rows: bars,
        x: { field: "form", title: "form" },
        y: { field: "hq", title: "high-quality fraction" },
      }),
    },
    {
      name: "loss",
      title: "Training loss, relative to its first epoch",
      caption:
        "Each form's mean loss per epoch divided by its first epoch's (the two losses have " +
        "different units: the score form is the ε loss weighted by 1 / (1 − ᾱ_t)).",
      spec: lineChart({
        title: "Epoch loss / first epoch's",
        rows: losses,
        x: { field: "epoch", title: "epoch" },
        y: { field: "loss", title: "relative loss", log: true },
        color: { field: "form", title: "form" },
      }),
    },
  ];
  const line = (f: string) => {
    const p = parts[f];
    const worst = Math.max(...(p.epsError ?? [0]));
    const at = c.check.times[(p.epsError ?? []).indexOf(worst)];
    return `${LABELS[f]}: ${p.quality.highQualityFraction!.toFixed(4)} near a mode, MMD² ` +
      `${p.quality.mmd2.toExponential(2)}; largest ε error ${worst.toFixed(3)} (t = ${at}); ` +
      `epoch-loss spread over the last ${c.check.lastEpochs} epochs ${p.lossSpread!.toFixed(3)}.`;
  };
  const notes = [
    "Same network (learned 16-wide time embedding, 128-128 ReLU), data, minibatches and Adam for " +
    `both forms, ${c.train.epochs} epochs; only the regression target differs: ε, or the score ` +
    "−ε / √(1 − ᾱ_t), whose scale reaches 1 / √β₁ = 100 at the first step.",
    ...c.forms.outputs.map(line),
    `Exact ε with the same sampler: ${parts.oracle.quality.highQualityFraction!.toFixed(4)}, ` +
    `MMD² ${parts.oracle.quality.mmd2.toExponential(2)}.`,
  ];
  return { metrics, charts, notes };
}
