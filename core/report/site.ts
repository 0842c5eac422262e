/**
 * The report site: one page per experiment and an index, self-contained (inline CSS, inline SVG
 * charts) so it reads the same from `file://` and from any static host. Every string from configs,
 * data, metrics or file names goes through {@link escapeHtml}.
 */

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(
    /[&<>"'`]/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" })[c]!,
  );
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
  golden?: number;
  tolerance?: string;
  /** "ok", "out" or undefined (not compared). */
  status?: "ok" | "out";
}

/** A chart of an experiment page (its `<name>.svg` and `<name>.vl.json` sit beside the page). */
export interface PageChart {
  name: string;
  title: string;
  caption: string;
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
}

const STYLE = `
:root { --fg: #1d1d1f; --muted: #666; --line: #e3e3e3; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1180px; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; }
a { color: #0b57d0; } .muted { color: var(--muted); } nav { font-size: 14px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 12px 5px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; font-size: 13px; color: var(--muted); }
td.num { text-align: right; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 13px; font-weight: 600;
  border: 1px solid currentColor; }
.v-bit-exact, .v-within-tolerance, .v-updated { color: var(--ok); }
.v-regressed, .v-changed, .v-failed { color: var(--bad); }
.v-no-golden, .v-not-compared { color: var(--warn); }
.out { color: var(--bad); font-weight: 600; } .ok { color: var(--ok); }
figure { margin: 18px 0 28px; } figcaption { color: var(--muted); font-size: 14px; max-width: 760px; }
figure .chart { overflow-x: auto; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 13px; border-radius: 6px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 18px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .thumb { height: 170px; overflow: hidden; display: flex; justify-content: center; }
.card .thumb img { max-height: 170px; width: auto; }
.card h3 { margin: 6px 0 2px; font-size: 16px; }
`;

function page(title: string, body: string): string {
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
</body>
</html>
`;
}

function verdictBadge(verdict: string): string {
  return `<span class="verdict v-${escapeHtml(verdict.replace(/\s+/g, "-"))}">${
    escapeHtml(verdict)
  }</span>`;
}

/** The page of one experiment. */
export function experimentPage(m: ExperimentPageModel): string {
  const metricRows = m.metrics.map((r) =>
    `<tr><td><code>${escapeHtml(r.name)}</code></td><td class="num">${
      escapeHtml(formatValue(r.value))
    }${r.unit ? ` ${escapeHtml(r.unit)}` : ""}</td><td class="num">${
      r.golden === undefined ? "–" : escapeHtml(formatValue(r.golden))
    }</td><td>${escapeHtml(r.tolerance ?? "–")}</td><td class="${r.status ?? ""}">${
      r.status ?? ""
    }</td><td>${escapeHtml(r.description)}${
      r.better ? ` <span class="muted">(${escapeHtml(r.better)} is better)</span>` : ""
    }</td></tr>`
  ).join("\n");
  const charts = m.charts.map((c) =>
    `<figure id="${escapeHtml(c.name)}"><div class="chart"><img src="${
      escapeHtml(encodeURIComponent(c.name))
    }.svg" alt="${escapeHtml(c.title)}"></div>
<figcaption><strong>${escapeHtml(c.title)}.</strong> ${escapeHtml(c.caption)}
<a href="${escapeHtml(encodeURIComponent(c.name))}.vl.json">spec</a> ·
<a href="${escapeHtml(encodeURIComponent(c.name))}.svg">svg</a></figcaption></figure>`
  ).join("\n");
  const notes = m.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join("\n");
  const files = m.files.map((f) =>
    `<li><a href="${escapeHtml(encodeURIComponent(f))}">${escapeHtml(f)}</a></li>`
  )
    .join("");
  const prov = Object.entries(m.provenance).map(([k, v]) =>
    `<tr><th>${escapeHtml(k)}</th><td>${
      escapeHtml(typeof v === "object" ? JSON.stringify(v) : v)
    }</td></tr>`
  ).join("");
  return page(
    `${m.title} · scorelab`,
    `<nav><a href="../index.html">← all experiments</a></nav>
<h1>${escapeHtml(m.title)}</h1>
<p class="muted"><code>${escapeHtml(m.name)}</code> · profile ${escapeHtml(m.profile)} · golden ${
      verdictBadge(m.verdict)
    }${m.verdictDetail ? ` <span class="muted">${escapeHtml(m.verdictDetail)}</span>` : ""}</p>
<p>${escapeHtml(m.description)}</p>
${notes}
<h2>Metrics</h2>
<table><thead><tr><th>metric</th><th>value</th><th>golden</th><th>tolerance</th><th></th><th>meaning</th></tr></thead>
<tbody>${metricRows}</tbody></table>
<h2>Charts</h2>
${charts}
<h2>Files</h2>
<ul>${files}</ul>
<h2>Config</h2>
<pre>${escapeHtml(JSON.stringify(m.config, null, 2))}</pre>
<h2>Provenance</h2>
<table>${prov}</table>`,
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
  headline: { name: string; value: number }[];
  /** Path of a chart SVG relative to the index, shown as the thumbnail. */
  thumbnail?: string;
}

/** The index of all experiments. */
export function indexPage(
  rows: IndexRow[],
  meta: { generated: string; commit: string | null },
): string {
  const cards = rows.map((r) =>
    `<div class="card">
<div class="thumb">${r.thumbnail ? `<img src="${escapeHtml(r.thumbnail)}" alt="">` : ""}</div>
<h3><a href="${escapeHtml(encodeURIComponent(r.name))}/index.html">${escapeHtml(r.title)}</a></h3>
<div class="muted"><code>${escapeHtml(r.name)}</code> · ${escapeHtml(r.profile)} · ${
      r.wallSeconds.toFixed(1)
    } s</div>
<div>${verdictBadge(r.verdict)}${
      r.failing.length ? ` <span class="out">${escapeHtml(r.failing.join(", "))}</span>` : ""
    }</div>
<table>${
      r.headline.map((h) =>
        `<tr><td><code>${escapeHtml(h.name)}</code></td><td class="num">${
          escapeHtml(formatValue(h.value))
        }</td></tr>`
      ).join("")
    }</table>
</div>`
  ).join("\n");
  return page(
    "scorelab reports",
    `<h1>scorelab reports</h1>
<p class="muted">Generated ${escapeHtml(meta.generated)}${
      meta.commit ? ` from commit <code>${escapeHtml(meta.commit.slice(0, 12))}</code>` : ""
    } · ${rows.length} experiment${rows.length === 1 ? "" : "s"}</p>
<div class="grid">
${cards}
</div>`,
  );
}
