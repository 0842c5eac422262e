/**
 * The report site as a person sees it: the quick profile's site is built once, its Vega-Lite specs
 * are compared with snapshots (structure, not pixels), and every page is opened in headless
 * Chromium with the network off: no console errors, every chart rendered with marks, every image
 * and link resolving. A page with a deliberately broken spec must fail the same check.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { Chromium, type PageReport } from "./tools/chromium.ts";
import { task } from "./tools/task.ts";
import { jsonForScript } from "../core/report/assets.ts";

const SITE = join(PROJECT_ROOT, "reports", "test-site");
let built: Promise<string[]> | null = null;

/** Build the quick-profile site once for this file; returns the experiment names. */
function site(): Promise<string[]> {
  built ??= (async () => {
    const r = await task([
      "reproduce",
      "--profile",
      "quick",
      "--out",
      "reports/test-site",
      "--ci=true",
    ]);
    assert.equal(r.code, 0, `reproduce --profile quick failed:\n${r.stdout}\n${r.stderr}`);
    const summary = JSON.parse(await Deno.readTextFile(join(SITE, "summary.json")));
    return summary.experiments.map((e: { name: string }) => e.name);
  })();
  return built;
}

/** A spec with its data values summarised (row count and fields): structure, not numbers. */
function specShape(spec: unknown): unknown {
  if (Array.isArray(spec)) return spec.map(specShape);
  if (spec && typeof spec === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) {
      if (k === "values" && Array.isArray(v)) {
        const fields = new Set<string>();
        for (const row of v) for (const f of Object.keys(row ?? {})) fields.add(f);
        out[k] = { rows: v.length, fields: [...fields].sort() };
      } else out[k] = specShape(v);
    }
    return out;
  }
  return spec;
}

Deno.test("the quick profile's Vega-Lite specs match their snapshots", async (t) => {
  for (const name of await site()) {
    const specs: Record<string, unknown> = {};
    const files = [...Deno.readDirSync(join(SITE, name))].map((e) => e.name).filter((f) =>
      f.endsWith(".vl.json")
    ).sort();
    for (const f of files) {
      specs[f] = specShape(JSON.parse(await Deno.readTextFile(join(SITE, name, f))));
    }
    await t.step(name, async (s) => {
      assert.ok(files.length > 0, `${name} has charts`);
      await s.assertSnapshot(specs);
    });
  }
});

function problems(r: PageReport, o: { charts: boolean }): string[] {
  const out = [
    ...r.consoleErrors.map((e) => `console error: ${e}`),
    ...r.externalRequests.map((u) => `request outside file://: ${u}`),
    ...r.brokenImages.map((u) => `image did not load: ${u}`),
    ...r.brokenLinks.map((u) => `broken link: ${u}`),
  ];
  if (o.charts) {
    for (const c of r.charts) {
      if (!c.interactive || c.marks === 0) {
        out.push(`chart ${c.id} did not render (marks: ${c.marks})`);
      }
    }
  }
  return out;
}

Deno.test({
  name: "every report page renders in headless Chromium from file:// with the network off",
  async fn() {
    const names = await site();
    const browser = await Chromium.launch();
    if (!browser) {
      console.warn(
        "SKIPPED browser test: /usr/bin/chromium is not installed (apt-get install chromium)",
      );
      return;
    }
    const shots = join(SITE, "screenshots");
    await Deno.mkdir(shots, { recursive: true });
    try {
      const index = await browser.check(pathToFileURL(join(SITE, "index.html")).href, {
        screenshot: join(shots, "index.png"),
      });
      assert.deepEqual(problems(index, { charts: false }), [], "index.html");
      for (const name of names) {
        const r = await browser.check(pathToFileURL(join(SITE, name, "index.html")).href, {
          screenshot: join(shots, `${name}.png`),
        });
        assert.ok(r.charts.length > 0, `${name}: the page has charts`);
        assert.deepEqual(problems(r, { charts: true }), [], name);
      }
      // Scripts off: every chart still shows its static SVG.
      const off = await browser.check(pathToFileURL(join(SITE, names[0], "index.html")).href, {
        scriptsDisabled: true,
      });
      assert.ok(
        off.charts.length > 0 && off.charts.every((c) => c.staticShown && !c.interactive),
        "static fallback with scripts off",
      );

      // A deliberately broken spec fails the same check.
      const page = await Deno.readTextFile(join(SITE, names[0], "index.html"));
      const broken = page.replace(
        /<script type="application\/json">(.*?)<\/script>/s,
        (_, json) => {
          const spec = JSON.parse(json);
          delete spec.layer;
          return `<script type="application/json">${
            jsonForScript({ ...spec, mark: "no-such-mark" })
          }</script>`;
        },
      );
      assert.notEqual(broken, page, "a spec was broken");

      const brokenPath = join(SITE, names[0], "broken.html");
      await Deno.writeTextFile(brokenPath, broken);
      const bad = await browser.check(pathToFileURL(brokenPath).href, { timeoutMs: 15_000 });
      await Deno.remove(brokenPath);
      assert.ok(problems(bad, { charts: true }).length > 0, "the broken spec is caught");
    } finally {
      await browser.close();
    }
  },
});

Deno.test("one reproduce process: tensor count flat across every experiment, peak memory reported and under 1 GiB", async () => {
  await site();
  const summary = JSON.parse(await Deno.readTextFile(join(SITE, "summary.json")));
  const counts = summary.experiments.map((e: { tensorsAfter: number }) => e.tensorsAfter);
  assert.ok(counts.length > 10, "every experiment ran");
  assert.ok(
    counts.every((c: number) => c === counts[0]),
    `live tensors after each experiment: ${counts.join(", ")}`,
  );
  assert.ok(
    summary.experiments.every((e: { error?: string }) => !e.error),
    "no experiment failed (a leak fails one)",
  );
  assert.ok(
    summary.peakRssMiB > 0 && summary.peakRssMiB < 1024,
    `peak RSS ${summary.peakRssMiB} MiB`,
  );
});
