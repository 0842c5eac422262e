/** The charts of `score-matching-objectives`, built from what its parts return. */
import type { Chart, RunOutput } from "../core/harness/experiment.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { gridPoints } from "../core/metrics/fisher.ts";
import type { Streams } from "../core/runtime/random.ts";
import {
  arrowsOf,
  arrowUnit,
  barChart,
  COLORS,
  dataWindow,
  lineChart,
  MODE_COLORS,
  pointRows,
  quiverPanels,
  type Row,
} from "../core/report/charts.ts";
import { fieldOn, type TrainedScoreNet } from "../core/recipes/score_net.ts";
import type { DatasetName } from "../core/data/datasets.ts";

/** A score-matching objective. */
export type ObjectiveName = "exact" | "sliced" | "dsm";

/** What training one network by one objective gives the assembly. */
export type ObjectivePart = TrainedScoreNet & {
  metrics: Record<string, number>;
  /** The learned field on the quiver grid. */
  field: Float32Array;
};

/** The config fields the page shows. */
export type Shown = {
  data: { datasets: DatasetName[]; trainSize: number };
  measure: { grid: number };
  objectives: { names: ObjectiveName[] };
};

const TITLES: Record<ObjectiveName, string> = {
  exact: "exact SM",
  sliced: "sliced SM",
  dsm: "DSM",
};

/** The metrics, details, timings and charts of a run. */
export function objectivesPage(
  c: Shown,
  streams: Streams,
  parts: Record<string, ObjectivePart>,
): Omit<RunOutput, "files"> {
  const metrics: Record<string, number> = {};
  const lossRows: Row[] = [];
  const fisherRows: Row[] = [];
  const timeRows: Row[] = [];
  const charts: Chart[] = [];
  for (const name of c.data.datasets) {
    const dataset = DATASETS[name];
    const data = dataset.sample(c.data.trainSize, streams.get(`data/${name}`));
    const win = dataWindow(name);
    const grid = gridPoints(win[0], win[1], c.measure.grid);
    const fields: { panel: string; field: ArrayLike<number> }[] = [];
    for (const objective of c.objectives.names) {
      const part = parts[`${name}/${objective}`];
      Object.assign(metrics, part.metrics);
      for (const r of part.track) fisherRows.push({ ...r, objective: TITLES[objective] });
      timeRows.push({ objective: TITLES[objective], dataset: name, msPerStep: part.msPerStep });
      part.curve.forEach((l, e) =>
        lossRows.push({ epoch: e + 1, loss: l, objective: TITLES[objective], dataset: name })
      );
      fields.push({ panel: TITLES[objective], field: part.field });
    }
    const exact = dataset.mixture !== undefined;
    if (dataset.mixture) {
      const oracle = new MixtureOracle(dataset.mixture);
      fields.push({
        panel: "exact ∇log p",
        field: fieldOn((x) => oracle.score(x), grid),
      });
      oracle.dispose();
    }
    const arrows = fields.flatMap(({ panel, field }) => arrowsOf(grid, field, panel));
    const panels = fields.map((f) => f.panel);
    charts.push({
      name: `fields_${name}`,
      thumbnail: name === c.data.datasets[0],
      title: `Learned score fields on ${name}`,
      caption:
        `The field each objective learned on ${name}${
          exact ? ", and the exact data score (blue)" : ""
        }, on one ` +
        "arrow scale (90th-percentile magnitude = one grid cell, longer arrows capped). Grey: training data.",
      spec: quiverPanels({
        title: `Score fields learned on ${name}`,
        arrows,
        panelOrder: panels,
        window: win,
        spacing: (win[1] - win[0]) / c.measure.grid,
        unit: arrowUnit(fields[fields.length - 1].field),
        colorOf: (p) => (p.startsWith("exact") ? COLORS.oracle : MODE_COLORS[panels.indexOf(p)]),
        background: pointRows(data.x, {}, 1000),
        columns: Math.min(panels.length, 4),
        size: 200,
      }),
    });
    charts.push({
      name: `loss_${name}`,
      title: `Loss curves on ${name}`,
      caption:
        "Mean loss per epoch. Exact and sliced score matching estimate the same quantity (up to a " +
        "constant, ½E|s − ∇log p|² − ½E|∇log p|²) and may go negative; DSM's loss is offset by its target's variance.",
      spec: lineChart({
        title: `Training loss on ${name}`,
        rows: lossRows.filter((r) => r.dataset === name),
        x: { field: "epoch", title: "epoch" },
        y: { field: "loss", title: "loss" },
        color: { field: "objective", title: "objective" },
      }),
    });
  }
  if (fisherRows.length) {
    charts.unshift({
      name: "fisher",
      title: "Fisher divergence during training (ring8)",
      caption: "E|s_θ − ∇log p_data|² on data drawn from the mixture, as training proceeds.",
      spec: lineChart({
        title: "Fisher divergence to the exact data score",
        rows: fisherRows,
        x: { field: "epoch", title: "epoch" },
        y: { field: "fisher", title: "Fisher divergence", log: true },
        color: { field: "objective", title: "objective" },
        points: true,
      }),
    });
  }
  charts.push({
    name: "time",
    timing: true,
    title: "Wall time per training step",
    caption:
      "Exact score matching needs one extra backward pass per dimension (and a second-order gradient); " +
      "sliced SM one; DSM none. Measured on this run (not golden-checked).",
    spec: barChart({
      title: "Milliseconds per training step",
      rows: timeRows,
      x: { field: "objective", title: "objective" },
      y: { field: "msPerStep", title: "ms per step" },
      color: { field: "dataset", title: "data set" },
    }),
  });
  return {
    metrics,
    details: { fisherDuringTraining: fisherRows },
    timings: { timePerStep: timeRows },
    charts,
  };
}
