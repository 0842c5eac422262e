/** The HTML page of `deno task diff`: per experiment, the metric table and A's and B's samples overlaid. */
import type { RunDiff, Side } from "./diff.ts";
import { fmt } from "./diff.ts";
import { dataExtent, pointRows } from "../report/charts.ts";
import { jsonForScript } from "../report/assets.ts";
import { escapeHtml, sitePage, verdictBadge } from "../report/site.ts";

function overlaySpec(d: RunDiff): Record<string, unknown> | null {
  const a = d.a.samples, b = d.b.samples;
  if (!a || !b || a.dim !== 2 || b.dim !== 2) return null;
  const rows = [
    ...pointRows(a.x, { run: "A" }, 2000),
    ...pointRows(b.x, { run: "B" }, 2000),
  ];
  const lo = Math.min(...dataExtent(a.x)), hi = Math.max(...dataExtent(b.x));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${d.experiment}: samples of A and B`,
    width: 360,
    height: 360,
    data: { values: rows },
    mark: { type: "circle", size: 6, opacity: 0.4, clip: true },
    encoding: {
      x: { field: "x", type: "quantitative", scale: { domain: [lo, hi] }, title: "x₁" },
      y: { field: "y", type: "quantitative", scale: { domain: [lo, hi] }, title: "x₂" },
      color: {
        field: "run",
        type: "nominal",
        scale: { domain: ["A", "B"], range: ["#1f77b4", "#d62728"] },
      },
    },
  };
}

/** The page (assets beside it: `assets/`). */
export function diffPage(A: Side, B: Side, diffs: RunDiff[]): string {
  const sections = diffs.map((d) => {
    const rows = d.rows.map((r) =>
      `<tr><td><code>${escapeHtml(r.metric)}</code></td><td class="num">${
        fmt(r.a)
      }</td><td class="num">${fmt(r.b)}</td><td class="num">${
        r.a !== undefined && r.b !== undefined ? fmt(r.b - r.a) : "–"
      }</td><td>${verdictBadge(r.verdict)}</td><td class="muted">${escapeHtml(r.rule)}</td></tr>`
    ).join("\n");
    const spec = overlaySpec(d);
    const chart = spec
      ? `<figure class="chart" id="overlay-${
        escapeHtml(d.experiment)
      }"><div class="frame"><div class="embed"></div></div>
<script type="application/json">${jsonForScript(spec)}</script>
<figcaption>A (blue) and B (red): the first 2000 samples of each.</figcaption></figure>`
      : "";
    return `<h2>${escapeHtml(d.experiment)} <span class="muted">(${escapeHtml(d.profile)}, seeds ${
      d.seeds[0]
    } → ${d.seeds[1]})</span> ${d.sameSamples ? verdictBadge("bit-exact") : ""}</h2>
<table><thead><tr><th>metric</th><th>A</th><th>B</th><th>B − A</th><th>verdict</th><th>rule</th></tr></thead>
<tbody>${rows}</tbody></table>
${
      d.outputsMoved?.length
        ? `<p>Outputs whose sha256 differs: ${escapeHtml(d.outputsMoved.join(", "))}.</p>`
        : ""
    }
${chart}`;
  }).join("\n");
  return sitePage(
    `diff ${A.label} → ${B.label} · scorelab`,
    `<h1>What changed: <code>${escapeHtml(A.label)}</code> → <code>${
      escapeHtml(B.label)
    }</code></h1>
<p class="muted">Each metric of each experiment both hold, with the verdict of the quality rule: a seed-gated metric's difference against the seed-to-seed spread of its golden (two single runs differ with sd √2 · the spread), an exact metric against its rounding band.</p>
${sections}`,
    ["assets/vega-bundle.js", "assets/report.js"],
  );
}
