/**
 * Every string that reaches a page is inert: an experiment whose name, title, description, metric
 * names and descriptions, config values, chart names, titles, captions and data, file names and
 * notes all carry HTML and script payloads is run, and its page and the index are checked in the
 * HTML and in Chromium (where the payloads would set window.__pwned).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Experiment } from "../core/harness/experiment.ts";
import { reproduce } from "../core/harness/runner.ts";
import { requireTool } from "./tools/require.ts";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { lineChart } from "../core/report/charts.ts";
import { Chromium } from "./tools/chromium.ts";

const SCRIPT = "<script>window.__pwned=1</script>";
const ATTR = `"><img src=x onerror="window.__pwned=2">`;
const CLOSE = "</script><script>window.__pwned=3</script>";

const evil: Experiment<{ label: string }> = {
  name: `evil-${ATTR}`,
  title: `Title ${SCRIPT}`,
  description: `Description ${ATTR} ${SCRIPT}`,
  seed: 0,
  profiles: { full: { label: SCRIPT }, quick: { label: ATTR } },
  schema: { label: { type: "enum", values: [SCRIPT, ATTR] } },
  metrics: {
    [`metric${SCRIPT}`]: {
      description: `meaning ${ATTR}`,
      headline: true,
      unit: SCRIPT,
    },
  },
  run: ({ config }) =>
    Promise.resolve({
      metrics: { [`metric${SCRIPT}`]: 1 },
      charts: [{
        name: `chart${ATTR}`,
        title: `chart title ${SCRIPT}`,
        caption: `caption ${ATTR}`,
        spec: lineChart({
          title: `spec title ${CLOSE}`,
          rows: [{ x: 0, y: 1, s: CLOSE }, { x: 1, y: 2, s: config.label }],
          x: { field: "x", title: `x ${SCRIPT}` },
          y: { field: "y", title: "y" },
          color: { field: "s", title: ATTR },
        }),
      }],
      files: [{ name: `file${ATTR}.csv`, content: "x\n1\n" }],
      notes: [SCRIPT, ATTR, CLOSE],
    }),
};

Deno.test("strings from configs, data, metrics and file names are escaped everywhere in the site", async () => {
  const out = join(PROJECT_ROOT, "reports", "test-escaping");
  const { summaries } = await reproduce({
    root: PROJECT_ROOT,
    outDir: out,
    experiments: [evil],
    profile: "quick",
    workers: 0,
    progress: "silent",
    print: false,
  });
  assert.equal(summaries[0].verdict, "no golden");
  const page = await Deno.readTextFile(join(out, evil.name, "index.html"));
  const index = await Deno.readTextFile(join(out, "index.html"));
  for (const [what, html] of [["page", page], ["index", index]]) {
    assert.ok(!html.includes("<script>window"), `${what}: a raw <script> payload`);
    assert.ok(!html.includes("<img src=x"), `${what}: a raw <img> payload`);
    assert.ok(!html.includes(`onerror="window`), `${what}: a raw event handler`);
  }
  // The only script elements are the harness's own: two bundles and one inline spec per chart.
  assert.equal(page.match(/<script/g)?.length, 3, "script elements on the page");
  assert.equal(index.match(/<script/g)?.length ?? 0, 0, "script elements on the index");
  assert.ok(
    page.includes("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
    "the payload is shown, escaped",
  );

  const browser = await Chromium.launch();
  if (requireTool(browser, "/usr/bin/chromium", "the browser part")) {
    try {
      for (const url of [join(out, "index.html"), join(out, evil.name, "index.html")]) {
        const r = await browser.check(pathToFileURL(url).href, { probe: "typeof window.__pwned" });
        assert.equal(r.probe, "undefined", `${url}: a payload ran`);
        assert.deepEqual(r.consoleErrors, [], url);
        for (const c of r.charts) assert.ok(c.interactive && c.marks > 0, `chart ${c.id} rendered`);
      }
    } finally {
      await browser.close();
    }
  }
  await Deno.remove(out, { recursive: true });
});
