/** Charts shared by the NCSN experiments: cluster shares, implied weight errors, per-level error, loss. */
import type { LogWeightError } from "../metrics/path_integral.ts";
import { blockMeans } from "../metrics/statistics.ts";
import { barChart, type Chart, lineChart, pointRows, type Row, scatterOverData } from "./charts.ts";

/** Per-mode shares of samples, for a bar chart. */
export function modeShareRows(perMode: number[], source: string): Row[] {
  const total = perMode.reduce((a, b) => a + b, 0) || 1;
  return perMode.map((n, k) => ({ mode: `mode ${k}`, share: n / total, source }));
}

/** Shares of high-quality samples per cluster: the data (uniform), the learned and the exact score. */
export function clusterShareChart(learned: number[], exact: number[], caption: string): Chart {
  const K = learned.length;
  return {
    name: "weights",
    title: "Share of samples per cluster",
    caption,
    spec: barChart({
      title: "Share of high-quality samples per cluster",
      rows: [
        ...Array.from(
          { length: K },
          (_, k) => ({ mode: `mode ${k}`, share: 1 / K, source: "data" }),
        ),
        ...modeShareRows(learned, "learned score"),
        ...modeShareRows(exact, "exact score"),
      ],
      x: { field: "mode", title: "cluster" },
      y: { field: "share", title: "share of samples" },
      color: { field: "source", title: "" },
    }),
  };
}

/** The log-weight error between clusters implied by the learned score, per noise level. */
export function weightErrorChart(weightError: LogWeightError[], caption: string): Chart {
  return {
    name: "weight-error",
    title: "Mode weights implied by the learned score",
    caption,
    spec: lineChart({
      title: "Implied log-weight error against cluster 0",
      rows: weightError.map((r) => ({
        sigma: r.sigma,
        error: r.error,
        cluster: `cluster ${r.to}`,
      })),
      x: { field: "sigma", title: "σ", log: true },
      y: { field: "error", title: "log-weight error (nats)", zero: true },
      color: { field: "cluster", title: "" },
      points: true,
    }),
  };
}

/** The training loss averaged over blocks of `block` steps (log scale). */
export function stepLossChart(losses: Float32Array, block: number): Chart {
  return {
    name: "loss",
    title: "Training loss",
    caption: `σ²-weighted DSM loss, averaged over blocks of ${block} steps (log scale).`,
    spec: lineChart({
      title: "Training loss",
      rows: blockMeans(losses, block).map((l, i) => ({ step: (i + 1) * block, loss: l })),
      x: { field: "step", title: "step" },
      y: { field: "loss", title: "loss", log: true },
    }),
  };
}

/** The learned model's samples over the training data (first 2000 points shown). */
export function annealedSamplesChart(
  data: Float32Array,
  samples: Float32Array,
  window: [number, number],
  caption: string,
): Chart {
  return {
    name: "samples",
    title: "Samples over data",
    caption,
    spec: scatterOverData({
      title: "Annealed Langevin samples over the data",
      data: pointRows(data, {}, 2000),
      samples: pointRows(samples),
      window,
    }),
  };
}
