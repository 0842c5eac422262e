/**
 * The report site: an index and one page per experiment, self-contained and offline. Each chart is
 * its static SVG (shown when scripts are off) with the Vega-Lite spec inline, which
 * `assets/report.js` renders interactively with the bundled vega-embed. Every string that comes from
 * configs, data, metrics or file names goes through {@link escapeHtml} (text and attributes) or
 * {@link jsonForScript} (inline specs).
 */
import { jsonForScript } from "./assets.ts";

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(
    /[&<>"'`]/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" })[c]!,
  );
}

/** A relative link to a file name (each path segment URI-encoded, then HTML-escaped). */
export function href(path: string): string {
  return escapeHtml(path.split("/").map(encodeURIComponent).join("/"));
}

/** Format a metric value for display. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** A metric row of an experiment page. */
export interface PageMetric {
  name: string;
  value: number;
  description: string;
  unit?: string;
  better?: "lower" | "higher";
  /** The golden's value for this run's seed. */
  golden?: number;
  /** The quality rule the metric was held to ("reported, not judged" for the rest). */
  gate?: string;
  /** "ok", "out" or undefined (not judged). */
  status?: "ok" | "out";
  /** Shown at the top of the page. */
  headline?: boolean;
  /** A member of a family of metrics (one per sampler, level, method): shown in a matrix. */
  family?: { base: string; setting: string };
}

/** One row of an experiment's power table: a degradation and the gates that catch it. */
export interface PowerRow {
  label: string;
  applies: boolean;
  before: Record<string, number>;
  after: Record<string, number>;
  singleRun: string[];
  sweep: string[];
}

/** A chart of an experiment page: its files `<name>.svg` and `<name>.vl.json` sit beside the page. */
export interface PageChart {
  name: string;
  title: string;
  caption: string;
  spec: Record<string, unknown>;
}

/** Everything an experiment page shows. */
export interface ExperimentPageModel {
  name: string;
  title: string;
  description: string;
  profile: string;
  verdict: string;
  verdictDetail?: string;
  metrics: PageMetric[];
  charts: PageChart[];
  notes: string[];
  files: string[];
  config: unknown;
  provenance: Record<string, unknown>;
  /** Path from the page to the site root ("../" for `<exp>/index.html`). */
  root?: string;
  /**
   * When and how long, with the charts of wall-clock measurements: the only part of the page
   * that differs between two runs (a `<section class="timing">`).
   */
  timing?: Record<string, string>;
  timingCharts?: PageChart[];
  /** What the golden check can see: the golden's sensitivity table. */
  power?: PowerRow[];
  /** Offer "Reproduce in your browser" (experiment pages, not sweep runs). */
  reproducible?: boolean;
}

/** The power table: each degradation, what it does to the metrics, and which gate catches it. */
export function powerTable(rows: PowerRow[]): string {
  const applied = rows.filter((r) => r.applies);
  if (!applied.length) return "";
  const body = rows.map((r) => {
    if (!r.applies) {
      return `<tr><td>${
        escapeHtml(r.label)
      }</td><td colspan="3" class="muted">does not apply to these samples</td></tr>`;
    }
    const moved = Object.keys(r.after).filter((k) => r.after[k] !== r.before[k]).map((k) =>
      `<code>${escapeHtml(k)}</code> ${escapeHtml(formatValue(r.before[k]))} → ${
        escapeHtml(formatValue(r.after[k]))
      }`
    ).join("<br>");
    const seen = (m: string[]) =>
      m.length
        ? `<span class="ok">caught</span> <span class="muted">(${escapeHtml(m.join(", "))})</span>`
        : `<span class="out">not seen</span>`;
    return `<tr><td>${escapeHtml(r.label)}</td><td class="headline">${moved || "–"}</td><td>${
      seen(r.singleRun)
    }</td><td>${seen(r.sweep)}</td></tr>`;
  }).join("\n");
  return `<table class="power"><thead><tr><th>degradation of the default seed's samples</th><th>metrics (before → after)</th><th>single-run gate</th><th>sweep gate (every seed degraded)</th></tr></thead>
<tbody>${body}</tbody></table>`;
}

const STYLE = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1180px; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; }
a { color: #0b57d0; } .muted { color: var(--muted); } nav { font-size: 14px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 12px 5px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; font-size: 13px; color: var(--muted); }
td.num { text-align: right; white-space: nowrap; }
.verdict { display: inline-block; padding: 1px 10px; border-radius: 12px; font-size: 13px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.v-bit-exact, .v-ok, .v-updated { color: var(--ok); }
.v-regressed, .v-changed, .v-failed, .v-stale-golden { color: var(--bad); }
.v-no-golden, .v-not-compared { color: var(--warn); }
.out { color: var(--bad); font-weight: 600; } .ok { color: var(--ok); }
figure { margin: 18px 0 30px; } figcaption { color: var(--muted); font-size: 14px; max-width: 780px; }
figure .frame { overflow-x: auto; }
figure.interactive img.static { display: none; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 13px; border-radius: 6px; }
table.index td { vertical-align: middle; }
table.index img.thumb { height: 170px; width: auto; max-width: 260px; display: block; }
.scroll { overflow-x: auto; max-width: 100%; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; min-width: 140px; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.out { border-color: var(--bad); }
table.matrix td.num { font-size: 13px; } td.num.out { color: var(--bad); font-weight: 600; }
@media (max-width: 600px) { body { padding: 12px; } table.index img.thumb { height: 110px; } }
.headline { font-size: 13px; }
`;

/** A page of the site: its title, body and scripts, with the site's style. */
export function sitePage(title: string, body: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
${scripts.map((s) => `<script src="${href(s)}"></script>`).join("\n")}
</body>
</html>
`;
}

/** A verdict as a coloured badge. */
export function verdictBadge(verdict: string): string {
  return `<span class="verdict v-${escapeHtml(verdict.replace(/\s+/g, "-"))}">${
    escapeHtml(verdict)
  }</span>`;
}

/**
 * Families of metrics (one value per sampler, noise level, method...) as matrices: one row per
 * setting, one column per metric of the family; families with the same settings share a matrix.
 */
function metricMatrices(rows: PageMetric[]): string {
  const bases = new Map<string, PageMetric[]>();
  for (const r of rows) bases.set(r.family!.base, [...(bases.get(r.family!.base) ?? []), r]);
  const groups = new Map<string, string[]>();
  for (const [base, members] of bases) {
    const key = members.map((r) => r.family!.setting).join("|");
    groups.set(key, [...(groups.get(key) ?? []), base]);
  }
  return [...groups.entries()].map(([key, names]) => {
    const settings = key.split("|");
    const head = names.map((b) => {
      const d = bases.get(b)![0];
      return `<th title="${escapeHtml(d.description)}">${escapeHtml(b)}${
        d.better ? ` <span class="muted">(${d.better === "lower" ? "↓" : "↑"})</span>` : ""
      }</th>`;
    }).join("");
    const body = settings.map((setting, i) =>
      `<tr><td><code>${escapeHtml(setting)}</code></td>${
        names.map((b) => {
          const r = bases.get(b)![i];
          return `<td class="num${r.status === "out" ? " out" : ""}" title="${
            escapeHtml(`${r.name}: ${r.gate ?? ""}`)
          }">${escapeHtml(formatValue(r.value))}</td>`;
        }).join("")
      }</tr>`
    ).join("\n");
    const legend = names.map((b) =>
      `<code>${escapeHtml(b)}</code>: ${escapeHtml(bases.get(b)![0].description)}`
    ).join("; ");
    return `<div class="scroll"><table class="matrix"><thead><tr><th>setting</th>${head}</tr></thead>
<tbody>${body}</tbody></table></div>
<p class="muted">${legend}. Values out of the quality gate are in red; hover a cell for its rule.</p>`;
  }).join("\n");
}

/** The "Reproduce in your browser" control (`assets/report.js` drives it). */
function reproduceSection(name: string, root: string): string {
  return `<section class="reproduce" data-experiment="${escapeHtml(name)}" data-root="${
    escapeHtml(root)
  }">
<h2>Reproduce in your browser</h2>
<p class="muted">Runs this experiment here, in a Web Worker on WebAssembly SIMD, and compares the sha256 of its samples and its metrics with the published ones.</p>
<p><select><option value="quick">quick profile</option><option value="full">full profile</option></select>
<button type="button">Reproduce</button> <progress value="0" max="1"></progress></p>
<p class="status muted"></p>
<div id="reproduce-verdict" data-state="idle" data-experiment="${escapeHtml(name)}"></div>
<table></table>
</section>`;
}

/** The page of one experiment (assets are one folder up: `../assets/`). */
export function experimentPage(m: ExperimentPageModel): string {
  const row = (r: PageMetric) =>
    `<tr><td><code>${escapeHtml(r.name)}</code></td><td class="num">${
      escapeHtml(formatValue(r.value))
    }${r.unit ? ` ${escapeHtml(r.unit)}` : ""}</td><td class="num">${
      r.golden === undefined ? "–" : escapeHtml(formatValue(r.golden))
    }</td><td class="headline">${escapeHtml(r.gate ?? "–")}</td><td class="${r.status ?? ""}">${
      r.status ?? ""
    }</td><td>${escapeHtml(r.description)}${
      r.better ? ` <span class="muted">(${escapeHtml(r.better)} is better)</span>` : ""
    }</td></tr>`;
  const metricRows = m.metrics.filter((r) => !r.family).map(row).join("\n");
  const matrices = metricMatrices(m.metrics.filter((r) => r.family));
  const cards = m.metrics.filter((r) => r.headline).map((r) =>
    `<div class="card${r.status === "out" ? " out" : ""}" title="${escapeHtml(r.description)}">
<div class="muted"><code>${escapeHtml(r.name)}</code></div><div class="v">${
      escapeHtml(formatValue(r.value))
    }${r.unit ? ` <span class="muted">${escapeHtml(r.unit)}</span>` : ""}</div>${
      r.golden === undefined
        ? ""
        : `<div class="muted">golden ${escapeHtml(formatValue(r.golden))}</div>`
    }</div>`
  ).join("\n");
  const figure = (c: PageChart) =>
    `<figure class="chart" id="${escapeHtml(c.name)}">
<div class="frame"><img class="static" src="${href(c.name + ".svg")}" alt="${
      escapeHtml(c.title)
    }"><div class="embed"></div></div>
<script type="application/json">${jsonForScript(c.spec)}</script>
<figcaption><strong>${escapeHtml(c.title)}.</strong> ${escapeHtml(c.caption)}
<a href="${href(c.name + ".vl.json")}">spec</a> · <a href="${
      href(c.name + ".svg")
    }">svg</a></figcaption>
</figure>`;
  const charts = m.charts.map(figure).join("\n");
  const notes = m.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join("\n");
  const files = m.files.map((f) => `<li><a href="${href(f)}">${escapeHtml(f)}</a></li>`).join("");
  const prov = Object.entries(m.provenance).map(([k, v]) =>
    `<tr><th>${escapeHtml(k)}</th><td>${
      escapeHtml(typeof v === "object" ? JSON.stringify(v) : v)
    }</td></tr>`
  ).join("");
  const root = m.root ?? "../";
  return sitePage(
    `${m.title} · scorelab`,
    `<nav><a href="${escapeHtml(root)}index.html">← all experiments</a></nav>
<h1>${escapeHtml(m.title)}</h1>
<p class="muted"><code>${escapeHtml(m.name)}</code> · profile ${escapeHtml(m.profile)} · golden ${
      verdictBadge(m.verdict)
    }${m.verdictDetail ? ` <span class="muted">${escapeHtml(m.verdictDetail)}</span>` : ""}</p>
<p>${escapeHtml(m.description)}</p>
${cards ? `<div class="cards">${cards}</div>` : ""}
<h2>Charts</h2>
${charts}
${notes}
<h2>Metrics</h2>
<div class="scroll"><table><thead><tr><th>metric</th><th>value</th><th>golden (this seed)</th><th>quality gate</th><th></th><th>meaning</th></tr></thead>
<tbody>${metricRows}</tbody></table></div>
${matrices}
${m.reproducible ? reproduceSection(m.name, root) : ""}${
      m.power && powerTable(m.power)
        ? `\n<h2>What the golden check can see</h2>\n<p class="muted">The golden's own samples degraded in controlled ways and measured again: which degradations the single-run gate (this seed against the seed spread) and the sweep gate (every seed degraded, Welch + Holm) catch.</p>\n<div class="scroll">${
          powerTable(m.power)
        }</div>`
        : ""
    }
<h2>Files</h2>
<ul>${files}</ul>
<h2>Config</h2>
<pre>${escapeHtml(JSON.stringify(m.config, null, 2))}</pre>
<h2>Provenance</h2>
<div class="scroll"><table>${prov}</table></div>${
      m.timing
        ? `\n<section class="timing">\n<h2>Timing</h2>\n<table>${
          Object.entries(m.timing).map(([k, v]) =>
            `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`
          ).join("")
        }</table>\n${(m.timingCharts ?? []).map(figure).join("\n")}\n</section>`
        : ""
    }`,
    [`${root}assets/vega-bundle.js`, `${root}assets/report.js`],
  );
}

/** A row of the index: one experiment. */
export interface IndexRow {
  name: string;
  title: string;
  profile: string;
  verdict: string;
  failing: string[];
  wallSeconds: number;
  /**
   * Headline metrics; `spread` (a standard deviation across runs) is shown for sweeps, `seeds` (the
   * golden's seed-to-seed mean and sd) for single runs.
   */
  headline: {
    name: string;
    value: number;
    spread?: number;
    seeds?: { mean: number; sd: number; n: number };
  }[];
  /** Path of a chart SVG relative to the index, shown as the thumbnail. */
  thumbnail?: string;
  error?: string;
}

/** The index of all experiments: one row each. */
export function indexPage(
  rows: IndexRow[],
  meta: { generated: string; commit: string | null; bench?: boolean },
): string {
  const body = rows.map((r) =>
    `<tr>
<td>${
      r.thumbnail
        ? `<a href="${href(r.name)}/index.html"><img class="thumb" src="${
          href(r.thumbnail)
        }" alt=""></a>`
        : ""
    }</td>
<td><a href="${href(r.name)}/index.html"><strong>${
      escapeHtml(r.title)
    }</strong></a><br><code class="muted">${escapeHtml(r.name)}</code> <span class="muted">· ${
      escapeHtml(r.profile)
    }</span></td>
<td>${verdictBadge(r.verdict)}${
      r.failing.length ? `<br><span class="out">${escapeHtml(r.failing.join(", "))}</span>` : ""
    }${r.error ? `<br><span class="out">${escapeHtml(r.error)}</span>` : ""}</td>
<td class="num timing">${r.wallSeconds.toFixed(1)} s</td>
<td class="headline">${
      r.headline.map((h) =>
        `<code>${escapeHtml(h.name)}</code> ${escapeHtml(formatValue(h.value))}${
          h.spread === undefined ? "" : ` ± ${escapeHtml(formatValue(h.spread))}`
        }${
          h.seeds
            ? ` <span class="muted">(seeds ${escapeHtml(formatValue(h.seeds.mean))} ± ${
              escapeHtml(formatValue(h.seeds.sd))
            })</span>`
            : ""
        }`
      ).join("<br>")
    }</td>
</tr>`
  ).join("\n");
  return sitePage(
    "scorelab reports",
    `<h1>scorelab reports</h1>
<p class="muted">Generated <span class="timing">${escapeHtml(meta.generated)}</span>${
      meta.commit ? ` from commit <code>${escapeHtml(meta.commit.slice(0, 12))}</code>` : ""
    } · ${rows.length} experiment${rows.length === 1 ? "" : "s"} ·
<a href="assets/LICENSES.txt">licences of the bundled chart libraries</a>${
      meta.bench ? ` · <a href="bench/index.html">benchmarks</a>` : ""
    }</p>
<table class="index">
<thead><tr><th></th><th>experiment</th><th>golden check</th><th>wall time</th><th>headline metrics</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`,
  );
}

/** A row of a sweep page's metric table. */
export interface SweepMetric {
  name: string;
  description: string;
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

/** A run of a sweep page's run table. */
export interface SweepRun {
  runId: string;
  seed: number;
  verdict: string;
  failing: string[];
  headline: { name: string; value: number }[];
}

/** The page of a sweep: the spread of every metric across its runs, and links to each run's page. */
export function sweepPage(m: {
  name: string;
  title: string;
  description: string;
  base: string;
  metrics: SweepMetric[];
  runs: SweepRun[];
  chart: PageChart;
  /** The sweep gate's verdict against the golden's seed distribution. */
  gate?: {
    verdict: string;
    detail?: string;
    checks: { metric: string; ok: boolean; rule: string }[];
  };
}): string {
  const metricRows = m.metrics.map((r) =>
    `<tr><td><code>${escapeHtml(r.name)}</code></td><td class="num">${
      escapeHtml(formatValue(r.mean))
    }</td><td class="num">${escapeHtml(formatValue(r.std))}</td><td class="num">${
      escapeHtml(formatValue(r.min))
    }</td><td class="num">${escapeHtml(formatValue(r.max))}</td><td class="num">${r.n}</td><td>${
      escapeHtml(r.description)
    }</td></tr>`
  ).join("\n");
  const runRows = m.runs.map((r) =>
    `<tr><td><a href="runs/${href(r.runId)}/index.html"><code>${
      escapeHtml(r.runId)
    }</code></a></td><td class="num">${r.seed}</td><td>${verdictBadge(r.verdict)}${
      r.failing.length ? ` <span class="out">${escapeHtml(r.failing.join(", "))}</span>` : ""
    }</td><td class="headline">${
      r.headline.map((h) =>
        `<code>${escapeHtml(h.name)}</code> ${escapeHtml(formatValue(h.value))}`
      ).join(" · ")
    }</td></tr>`
  ).join("\n");
  const c = m.chart;
  return sitePage(
    `${m.title} (sweep) · scorelab`,
    `<nav><a href="../index.html">← all experiments</a></nav>
<h1>${escapeHtml(m.title)}: sweep</h1>
<p class="muted"><code>${escapeHtml(m.name)}</code> · ${m.runs.length} runs of the ${
      escapeHtml(m.base)
    } profile</p>
<p>${escapeHtml(m.description)}</p>
${
      m.gate
        ? `<h2>Sweep gate</h2>\n<p>${verdictBadge(m.gate.verdict)}${
          m.gate.detail ? ` <span class="muted">${escapeHtml(m.gate.detail)}</span>` : ""
        }</p>${
          m.gate.checks.length
            ? `\n<table><thead><tr><th>metric</th><th>against the golden's seeds</th><th></th></tr></thead><tbody>${
              m.gate.checks.map((c) =>
                `<tr><td><code>${escapeHtml(c.metric)}</code></td><td class="headline">${
                  escapeHtml(c.rule)
                }</td><td class="${c.ok ? "ok" : "out"}">${c.ok ? "ok" : "out"}</td></tr>`
              ).join("")
            }</tbody></table>`
            : ""
        }`
        : ""
    }
<h2>Spread across runs</h2>
<table><thead><tr><th>metric</th><th>mean</th><th>std</th><th>min</th><th>max</th><th>runs</th><th>meaning</th></tr></thead>
<tbody>${metricRows}</tbody></table>
<figure class="chart" id="${escapeHtml(c.name)}">
<div class="frame"><img class="static" src="${href(c.name + ".svg")}" alt="${
      escapeHtml(c.title)
    }"><div class="embed"></div></div>
<script type="application/json">${jsonForScript(c.spec)}</script>
<figcaption><strong>${escapeHtml(c.title)}.</strong> ${escapeHtml(c.caption)}</figcaption>
</figure>
<h2>Runs</h2>
<table><thead><tr><th>run</th><th>seed</th><th>golden check</th><th>headline metrics</th></tr></thead>
<tbody>${runRows}</tbody></table>`,
    ["../assets/vega-bundle.js", "../assets/report.js"],
  );
}
