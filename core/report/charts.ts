/**
 * Vega-Lite spec builders with one theme: the same fonts, the same colour per mode across every
 * chart of a data set, and fixed axis ranges per data set so that pages compare at a glance.
 */

/** A Vega-Lite spec (plain JSON). */
export type Spec = Record<string, unknown>;

/** One row of chart data. */
export type Row = Record<string, string | number | null>;

/** Colours: data in grey, model samples in one accent, the oracle in another. */
export const COLORS = {
  data: "#b8b8b8",
  samples: "#d62728",
  oracle: "#1f77b4",
  accent: "#2ca02c",
};

/** Colours for modes / classes, the same index -> colour in every chart (Tableau 10, then 20). */
export const MODE_COLORS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
  "#1f77b4",
  "#aec7e8",
  "#ff7f0e",
  "#ffbb78",
  "#2ca02c",
  "#98df8a",
  "#d62728",
  "#ff9896",
  "#9467bd",
  "#c5b0d5",
  "#8c564b",
  "#c49c94",
  "#e377c2",
  "#f7b6d2",
  "#7f7f7f",
];

/** A Vega-Lite chart produced by an experiment. */
export interface Chart {
  /** File stem: `<name>.vl.json` and `<name>.svg`. */
  name: string;
  title: string;
  /** One or two sentences under the chart: what it shows and how to read it. */
  caption: string;
  spec: Record<string, unknown>;
  /** Show this chart as the experiment's thumbnail in the index (default: "samples", else the first). */
  thumbnail?: boolean;
  /**
   * Built from wall-clock measurements: written as `timing-<name>.*` and shown in the page's timing
   * section, the only part of a run's folder that differs between two runs of the same config.
   */
  timing?: boolean;
}

/** The mean training loss per epoch as a chart named "loss" (log scale). */
export function epochLossChart(
  lossByEpoch: readonly number[],
  o: { title: string; caption: string; chartTitle: string; yTitle: string },
): Chart {
  return {
    name: "loss",
    title: o.title,
    caption: o.caption,
    spec: lineChart({
      title: o.chartTitle,
      rows: lossByEpoch.map((l, e) => ({ epoch: e + 1, loss: l })),
      x: { field: "epoch", title: "epoch" },
      y: { field: "loss", title: o.yTitle, log: true },
    }),
  };
}

/** Axis window per data set (square, same for x and y). */
export function dataWindow(dataset: string): [number, number] {
  switch (dataset) {
    case "grid25":
      return [-5, 5];
    case "ring":
    case "moons":
      return [-3.5, 3.5];
    default:
      return [-5, 5];
  }
}

/** The shared look of every chart. */
export const THEME = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  title: { fontSize: 14, fontWeight: 600, anchor: "start", offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e8e8e8", domainColor: "#888" },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#ccc" },
  background: "white",
};

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

function base(title: string, extra: Spec): Spec {
  return { $schema: SCHEMA, title, config: THEME, ...extra };
}

/** Round numbers for chart data (4 significant decimals keeps specs small). */
export function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Rows {x, y, ...extra} from a flat 2-column array (first `limit` rows). */
export function pointRows(x: ArrayLike<number>, extra: Row = {}, limit = Infinity): Row[] {
  const n = Math.min(limit, Math.floor(x.length / 2));
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) rows.push({ x: round(x[2 * i]), y: round(x[2 * i + 1]), ...extra });
  return rows;
}

function axis(title: string, domain: [number, number]) {
  return { title, scale: { domain }, axis: { tickCount: 5 } };
}

/** A line chart of y against x, one line per `color` value if given. */
export function lineChart(o: {
  title: string;
  rows: Row[];
  x: { field: string; title: string; log?: boolean };
  y: { field: string; title: string; log?: boolean; zero?: boolean };
  /** Series by `field`; `scale` pins each value to a colour (the theme's learned/oracle colours). */
  color?: { field: string; title: string; scale?: Record<string, string> };
  points?: boolean;
  width?: number;
  height?: number;
  /** Small multiples over a field (in `order`), each with its own y scale if `independentY`. */
  facet?: { field: string; order: string[]; columns?: number; independentY?: boolean };
}): Spec {
  return base(o.title, {
    width: o.width ?? 420,
    height: o.height ?? 260,
    data: { values: o.rows },
    mark: { type: "line", point: o.points ?? false, strokeWidth: 1.8 },
    ...(o.facet?.independentY ? { resolve: { scale: { y: "independent" } } } : {}),
    encoding: {
      ...(o.facet
        ? {
          facet: {
            field: o.facet.field,
            type: "ordinal",
            title: null,
            sort: o.facet.order,
            columns: o.facet.columns ?? o.facet.order.length,
          },
        }
        : {}),
      x: {
        field: o.x.field,
        type: "quantitative",
        title: o.x.title,
        scale: o.x.log ? { type: "log" } : {},
      },
      y: {
        field: o.y.field,
        type: "quantitative",
        title: o.y.title,
        scale: o.y.log ? { type: "log" } : { zero: o.y.zero ?? false },
      },
      ...(o.color
        ? {
          color: {
            field: o.color.field,
            type: "nominal",
            title: o.color.title,
            ...(o.color.scale
              ? {
                scale: { domain: Object.keys(o.color.scale), range: Object.values(o.color.scale) },
              }
              : {}),
          },
        }
        : {}),
    },
  });
}

/**
 * Samples over data: the data in grey underneath, the model's points on top.
 * Rows carry `set` ("data" or a sample-set name).
 */
export function scatterOverData(o: {
  title: string;
  data: Row[];
  samples: Row[];
  window: [number, number];
  sampleLabel?: string;
  size?: number;
}): Spec {
  const size = o.size ?? 360;
  const enc = {
    x: axis("x₁", o.window),
    y: axis("x₂", o.window),
  };
  return base(o.title, {
    width: size,
    height: size,
    layer: [
      {
        data: { values: o.data },
        mark: { type: "circle", size: 6, opacity: 0.35, color: COLORS.data, clip: true },
        encoding: {
          x: { field: "x", type: "quantitative", ...enc.x },
          y: { field: "y", type: "quantitative", ...enc.y },
        },
      },
      {
        data: { values: o.samples },
        mark: { type: "circle", size: 6, opacity: 0.45, color: COLORS.samples, clip: true },
        encoding: {
          x: { field: "x", type: "quantitative", ...enc.x },
          y: { field: "y", type: "quantitative", ...enc.y },
        },
      },
    ],
  });
}

/**
 * Small multiples of scatter plots, one panel per value of the rows' `panel` field (in the given
 * order), with an optional grey background (the data) repeated in every panel.
 */
export function scatterPanels(o: {
  title: string;
  rows: Row[];
  panelOrder: string[];
  panelTitle: string;
  window: [number, number];
  color?: string;
  /** Colour the points by a mode index field (values 0..K-1), with the shared mode colours. */
  modeColor?: { field: string; title: string; modes: number };
  background?: Row[];
  columns?: number;
  size?: number;
}): Spec {
  const size = o.size ?? 170;
  const x = { field: "x", type: "quantitative", ...axis("x₁", o.window) };
  const y = { field: "y", type: "quantitative", ...axis("x₂", o.window) };
  const byMode = o.modeColor && {
    color: {
      field: o.modeColor.field,
      type: "nominal",
      title: o.modeColor.title,
      scale: {
        domain: Array.from({ length: o.modeColor.modes }, (_, k) => k),
        range: MODE_COLORS.slice(0, o.modeColor.modes),
      },
    },
  };
  const points = (layer: string, color: string, dot: number, opacity: number): Spec => ({
    transform: [{ filter: `datum.layer === '${layer}'` }],
    mark: { type: "circle", size: dot, opacity, color, clip: true },
    encoding: { x, y, ...(layer === "points" && byMode ? byMode : {}) },
  });

  const background = (o.background ?? []).length === 0
    ? []
    : o.panelOrder.flatMap((panel) => o.background!.map((r) => ({ ...r, panel, layer: "data" })));
  return base(o.title, {
    data: { values: [...background, ...o.rows.map((r) => ({ ...r, layer: "points" }))] },
    facet: { field: "panel", type: "ordinal", title: o.panelTitle, sort: o.panelOrder },
    columns: o.columns ?? o.panelOrder.length,
    spec: {
      width: size,
      height: size,
      layer: [
        ...(background.length ? [points("data", COLORS.data, 4, 0.3)] : []),
        points("points", o.color ?? COLORS.samples, 5, 0.4),
      ],
    },
  });
}

/**
 * Points over time with a slider: rows carry `frame` (0..frames-1) and, for side-by-side panels,
 * `panel` (in `panels`); a Vega-Lite parameter `frame` bound to a range input picks the frame
 * shown, and its label is written in the corner. The static rendering (SVG) shows the first frame.
 */
export function scatterAnimation(o: {
  title: string;
  rows: Row[];
  frameLabels: string[];
  window: [number, number];
  panels?: string[];
  background?: Row[];
  size?: number;
}): Spec {
  const size = o.size ?? 300;
  const panels = o.panels ?? [""];
  const x = { field: "x", type: "quantitative", ...axis("x₁", o.window) };
  const y = { field: "y", type: "quantitative", ...axis("x₂", o.window) };
  const values = panels.flatMap((panel) => [
    ...(o.background ?? []).map((r) => ({ ...r, panel, layer: "data" })),
    ...o.frameLabels.map((label, frame) => ({ frame, label, panel, layer: "label" })),
  ]).concat(o.rows.map((r) => ({ panel: "", ...r, layer: "points" })));
  const circles = (filter: string, color: string, dot: number, opacity: number): Spec => ({
    transform: [{ filter }],
    mark: { type: "circle", size: dot, opacity, color, clip: true },
    encoding: { x, y },
  });
  const layer = [
    ...(o.background?.length ? [circles("datum.layer === 'data'", COLORS.data, 4, 0.3)] : []),
    circles("datum.layer === 'points' && datum.frame === frame", COLORS.samples, 6, 0.5),
    {
      transform: [{ filter: "datum.layer === 'label' && datum.frame === frame" }],
      mark: { type: "text", x: 6, y: 6, align: "left", baseline: "top", fontSize: 12 },
      encoding: { text: { field: "label", type: "nominal" } },
    },
  ];
  const slider = {
    name: "frame",
    value: 0,
    bind: { input: "range", min: 0, max: o.frameLabels.length - 1, step: 1, name: "frame " },
  };
  return base(o.title, {
    params: [slider],
    data: { values },
    ...(o.panels
      ? {
        facet: { field: "panel", type: "ordinal", title: null, sort: o.panels },
        columns: o.panels.length,
        spec: { width: size, height: size, layer },
      }
      : { width: size, height: size, layer }),
  });
}

/**
 * Reverse chains as a slider animation, one panel per chain (all keeping the same steps): the
 * states they kept (the state entering step t, from the noisiest t down), then their final
 * samples, `points` per frame.
 */
export function trajectoryAnimation(o: {
  title: string;
  chains: { panel: string; trajectory: Map<number, Float32Array>; final: Float32Array }[];
  window: [number, number];
  background?: Row[];
  points: number;
}): Spec {
  const steps = [...o.chains[0].trajectory.keys()].sort((a, b) => b - a);
  const rows = o.chains.flatMap((c) =>
    [...steps.map((t) => c.trajectory.get(t)!), c.final].flatMap((x, frame) =>
      pointRows(x, { frame, panel: c.panel }, o.points)
    )
  );
  return scatterAnimation({
    title: o.title,
    rows,
    frameLabels: [...steps.map((t) => `entering step t = ${t}`), "final samples"],
    window: o.window,
    panels: o.chains.length > 1 ? o.chains.map((c) => c.panel) : undefined,
    background: o.background,
  });
}

/** One arrow of a vector field: its foot (x, y), the vector (u, v), and its panel. */
export interface Arrow {
  x: number;
  y: number;
  u: number;
  v: number;
  panel: string;
}

/**
 * Quiver plots (Vega-Lite has no quiver mark: a rule for the shaft, a rotated triangle for the
 * head). An arrow of magnitude `unit` is drawn one grid `spacing` long; longer arrows are capped at
 * 1.5 spacings, so that fields compared in one chart share one scale. Panels are laid out in
 * `columns` columns, in `panelOrder`; `colorOf` gives each panel's arrow colour.
 */
export function quiverPanels(o: {
  title: string;
  arrows: Arrow[];
  panelOrder: string[];
  window: [number, number];
  spacing: number;
  unit: number;
  colorOf: (panel: string) => string;
  background?: Row[];
  columns?: number;
  size?: number;
}): Spec {
  const size = o.size ?? 230;
  const rows: Row[] = o.arrows.map((a) => {
    const mag = Math.hypot(a.u, a.v);
    const len = mag === 0 ? 0 : Math.min(mag / o.unit, 1.5) * o.spacing;
    const ux = mag === 0 ? 0 : a.u / mag, uy = mag === 0 ? 0 : a.v / mag;
    const angle = ((-Math.atan2(uy, ux) * 180) / Math.PI + 360) % 360;
    return {
      x: round(a.x),
      y: round(a.y),
      x2: round(a.x + ux * len),
      y2: round(a.y + uy * len),
      angle: round(angle, 1),
      panel: a.panel,
      layer: "arrow",
    };
  });
  const background = (o.background ?? []).length === 0
    ? []
    : o.panelOrder.flatMap((panel) => o.background!.map((r) => ({ ...r, panel, layer: "data" })));
  const x = { field: "x", type: "quantitative", ...axis("x₁", o.window) };
  const y = { field: "y", type: "quantitative", ...axis("x₂", o.window) };
  const color = {
    field: "panel",
    type: "nominal",
    legend: null,
    scale: { domain: o.panelOrder, range: o.panelOrder.map(o.colorOf) },
  };
  return base(o.title, {
    data: { values: [...background, ...rows] },
    facet: { field: "panel", type: "ordinal", title: null, sort: o.panelOrder },
    columns: o.columns ?? 2,
    spec: {
      width: size,
      height: size,
      layer: [
        ...(background.length
          ? [{
            transform: [{ filter: "datum.layer === 'data'" }],
            mark: { type: "circle", size: 4, opacity: 0.25, color: COLORS.data, clip: true },
            encoding: { x, y },
          }]
          : []),
        {
          transform: [{ filter: "datum.layer === 'arrow'" }],
          mark: { type: "rule", strokeWidth: 1.1, clip: true },
          encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" }, color },
        },
        {
          transform: [{
            filter: "datum.layer === 'arrow' && (datum.x2 !== datum.x || datum.y2 !== datum.y)",
          }],
          mark: { type: "point", shape: "triangle-right", filled: true, size: 18, clip: true },
          encoding: {
            x: { field: "x2", type: "quantitative", scale: { domain: o.window } },
            y: { field: "y2", type: "quantitative", scale: { domain: o.window } },
            angle: { field: "angle", type: "quantitative", scale: null },
            color,
          },
        },
      ],
    },
  });
}

/** Bars of `y` per category `x`, optionally grouped by `color`. */
export function barChart(o: {
  title: string;
  rows: Row[];
  x: { field: string; title: string };
  y: { field: string; title: string; log?: boolean };
  color?: { field: string; title: string };
  /** Colour each bar by a mode index field (0..K-1) with the shared mode colours. */
  modeColor?: { field: string; modes: number };
  width?: number;
  height?: number;
}): Spec {
  return base(o.title, {
    width: o.width ?? 360,

    height: o.height ?? 220,
    data: { values: o.rows },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: o.x.field,
        type: "nominal",
        title: o.x.title,
        sort: null,
        axis: { labelAngle: 0 },
      },
      y: {
        field: o.y.field,
        type: "quantitative",
        title: o.y.title,
        scale: o.y.log ? { type: "log" } : {},
      },
      ...(o.color
        ? {
          color: { field: o.color.field, type: "nominal", title: o.color.title },
          xOffset: { field: o.color.field, type: "nominal" },
        }
        : {}),
      ...(o.modeColor
        ? {
          color: {
            field: o.modeColor.field,
            type: "nominal",
            legend: null,
            scale: {
              domain: Array.from({ length: o.modeColor.modes }, (_, k) => k),
              range: MODE_COLORS.slice(0, o.modeColor.modes),
            },
          },
        }
        : {}),
    },
  });
}

/** A density-normalised histogram of 1-D samples (bars) under a curve (the true density). */
export function histogramWithDensity(o: {
  title: string;
  samples: ArrayLike<number>;
  density: { x: number; p: number }[];
  domain: [number, number];
  bins: number;
  width?: number;
  height?: number;
}): Spec {
  const h = (o.domain[1] - o.domain[0]) / o.bins;
  const counts = new Array<number>(o.bins).fill(0);
  let n = 0;
  for (let i = 0; i < o.samples.length; i++) {
    const k = Math.floor((o.samples[i] - o.domain[0]) / h);
    if (k >= 0 && k < o.bins) counts[k]++;
    n++;
  }
  const bars = counts.map((c, k) => ({
    x0: round(o.domain[0] + k * h),
    x1: round(o.domain[0] + (k + 1) * h),
    p: round(c / (n * h), 5),
  }));
  const x = { type: "quantitative", title: "x", scale: { domain: o.domain } };
  return base(o.title, {
    width: o.width ?? 460,
    height: o.height ?? 240,
    layer: [
      {
        data: { values: bars },
        mark: { type: "rect", color: COLORS.samples, opacity: 0.5 },
        encoding: {
          x: { field: "x0", ...x },
          x2: { field: "x1" },
          y: { field: "p", type: "quantitative", title: "density" },
          y2: { datum: 0 },
        },
      },
      {
        data: { values: o.density.map((d) => ({ x: round(d.x), p: round(d.p, 5) })) },
        mark: { type: "line", color: COLORS.oracle, strokeWidth: 2 },
        encoding: { x: { field: "x", ...x }, y: { field: "p", type: "quantitative" } },
      },
    ],
  });
}

/** A square axis window around 2-D points (their extent with a 10% margin), for data without one. */
export function dataExtent(x: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  const pad = 0.1 * (hi - lo || 1);
  return [round(lo - pad, 2), round(hi + pad, 2)];
}

/**
 * A sweep at a glance: one small panel per metric (its own y scale), a point per run against the
 * seed, coloured by the other grid values, and the mean across runs as a rule.
 */
export function sweepChart(
  o: { title: string; rows: Row[]; metrics: string[]; columns?: number },
): Spec {
  return base(o.title, {
    data: { values: o.rows },
    facet: { field: "metric", type: "nominal", title: null, sort: o.metrics },
    columns: o.columns ?? 4,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 170,
      height: 120,
      layer: [
        {
          mark: { type: "point", filled: true, size: 40 },
          encoding: {
            x: { field: "seed", type: "quantitative", title: "seed", axis: { tickMinStep: 1 } },
            y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
            color: { field: "point", type: "nominal", title: "grid point" },
          },
        },
        {
          mark: { type: "rule", color: COLORS.samples, strokeDash: [4, 3] },
          encoding: { y: { aggregate: "mean", field: "value", type: "quantitative" } },
        },
      ],
    },
  });
}

/** Arrows of a field on the grid, in one panel. */
export function arrowsOf(grid: Float32Array, field: ArrayLike<number>, panel: string): Arrow[] {
  return Array.from({ length: grid.length / 2 }, (_, i) => ({
    x: grid[2 * i],
    y: grid[2 * i + 1],
    u: field[2 * i],
    v: field[2 * i + 1],
    panel,
  }));
}

/** The 90th-percentile arrow length of a field (the quiver's unit), 1 if all are 0. */
export function arrowUnit(field: ArrayLike<number>): number {
  const mags = Array.from(
    { length: field.length / 2 },
    (_, i) => Math.hypot(field[2 * i], field[2 * i + 1]),
  ).sort((a, b) => a - b);
  return mags[Math.floor(0.9 * (mags.length - 1))] || 1;
}
