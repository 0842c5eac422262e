/**
 * The report site as a person sees it: the quick profile's site is built once, its Vega-Lite specs
 * are compared with snapshots (structure, not pixels), and every page is opened in headless
 * Chromium with the network off: no console errors, every chart rendered with marks, every image
 * and link resolving. A page with a deliberately broken spec must fail the same check.
 */
import { EXPERIMENTS } from "../experiments/mod.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { requireTool } from "./tools/require.ts";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { Chromium, type PageReport } from "./tools/chromium.ts";
import { task } from "./tools/task.ts";
import { jsonForScript } from "../core/report/assets.ts";
import { siteDiff, siteFiles } from "./tools/site.ts";

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
    if (!requireTool(browser, "/usr/bin/chromium (apt-get install chromium)", "the browser test")) {
      return;
    }
    try {
      // Two tabs at a time; no screenshots here (the layout test keeps six: they cost a quarter of
      // this test's time and nothing reads them).
      const [index, ...pages] = await browser.checkAll(
        ["index.html", ...names.map((name) => join(name, "index.html"))].map((page) => ({
          url: pathToFileURL(join(SITE, page)).href,
        })),
      );
      assert.deepEqual(problems(index, { charts: false }), [], "index.html");
      names.forEach((name, i) => {
        assert.ok(pages[i].charts.length > 0, `${name}: the page has charts`);
        assert.deepEqual(problems(pages[i], { charts: true }), [], name);
      });
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

Deno.test({
  name:
    "layout: the index and two metric-heavy pages at 1400 px and at phone width: charts drawn, no horizontal overflow",
  async fn() {
    await site();
    const browser = await Chromium.launch();
    if (!requireTool(browser, "/usr/bin/chromium (apt-get install chromium)", "the layout test")) {
      return;
    }
    const shots = join(PROJECT_ROOT, "reports", "test-screenshots");
    await Deno.mkdir(shots, { recursive: true });
    const overflow = "document.documentElement.scrollWidth - window.innerWidth";
    try {
      const views = [1400, 390].flatMap((width) =>
        ["index.html", "sde-vs-ode/index.html", "guidance/index.html"].map((page) => ({
          width,
          page,
        }))
      );
      const reports = await browser.checkAll(views.map(({ width, page }) => ({
        url: pathToFileURL(join(SITE, page)).href,
        options: {
          width,
          probe: overflow,
          screenshot: join(shots, `${page.replace(/\/.*$/, "").replace(".html", "")}-${width}.png`),
        },
      })));
      views.forEach(({ width, page }, i) => {
        const r = reports[i];
        const isIndex = page === "index.html";
        assert.deepEqual(problems(r, { charts: !isIndex }), [], `${page} at ${width} px`);
        if (!isIndex) assert.ok(r.charts.length > 0, `${page}: charts`);
        assert.ok(
          (r.probe as number) <= 0,
          `${page} at ${width} px: ${r.probe} px of horizontal overflow`,
        );
      });
      // The metric families are matrices, not one row per metric.
      const sde = await Deno.readTextFile(join(SITE, "sde-vs-ode", "index.html"));
      assert.match(sde, /<table class="matrix">/);
      assert.ok(
        !/<td><code>mmd2_em<\/code><\/td>/.test(sde),
        "mmd2_em is a matrix cell, not a row",
      );
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
  // The timeline: one span per job (every part, every run), none overlapping on one worker.
  const t = summary.timeline;
  const jobs = summary.experiments.reduce(
    (a: number, e: { partSeconds?: Record<string, number> }) =>
      a + 1 + Object.keys(e.partSeconds ?? {}).length,
    0,
  );
  assert.equal(t.spans.length, jobs, "a span per job");
  for (let w = 0; w < Math.max(1, t.workers); w++) {
    const mine = t.spans.filter((s: { worker: number }) => s.worker === w)
      .sort((a: { start: number }, b: { start: number }) => a.start - b.start);
    for (let i = 1; i < mine.length; i++) {
      assert.ok(mine[i].start >= mine[i - 1].end, `worker ${w}: jobs ${i - 1} and ${i} overlap`);
    }
  }
  assert.ok(t.busyShare > 0 && t.busyShare <= 1, `busy share ${t.busyShare}`);
  assert.ok(t.firstStart <= t.lastEnd);
});

Deno.test({
  name:
    "the quick profile as 3 shards in separate processes merges into the serial run's site, byte for byte",
  async fn() {
    await site();
    const dirs = [1, 2, 3].map((i) => `reports/test-shard-${i}`);
    const merged = join(PROJECT_ROOT, "reports", "test-merged");
    const shards = await Promise.all(dirs.map((d, i) =>
      task([
        "reproduce",
        "--profile",
        "quick",
        "--shard",
        `${i + 1}/3`,
        "--workers",
        "1",
        "--out",
        d,
        "--ci=true",
      ])
    ));
    const counts = shards.map((r, i) => {
      assert.equal(r.code, 0, `shard ${i + 1}:\n${r.stdout}\n${r.stderr}`);
      return Number(
        new RegExp(`shard ${i + 1}/3: (\\d+) of ${EXPERIMENTS.length} runs`).exec(r.stdout)?.[1],
      );
    });
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      EXPERIMENTS.length,
      `runs per shard: ${counts}`,
    );
    assert.ok(counts.every((c) => c >= 2), `balanced by cost: ${counts}`);
    const m = await task(["merge", ...dirs, "--out", "reports/test-merged", "--ci=true"]);
    assert.equal(m.code, 0, `merge:\n${m.stdout}\n${m.stderr}`);
    assert.match(m.stdout, new RegExp(`merged 3 shards: ${EXPERIMENTS.length} runs`));
    const diff = siteDiff(await siteFiles(SITE), await siteFiles(merged));
    assert.deepEqual(diff, [], "merged site = serial site (timing aside)");
    const verdicts = (dir: string) =>
      JSON.parse(Deno.readTextFileSync(join(dir, "summary.json"))).experiments.map((
        e: { name: string; verdict: string },
      ) => `${e.name}: ${e.verdict}`);
    assert.deepEqual(verdicts(merged), verdicts(SITE));
    assert.ok(verdicts(merged).every((v: string) => v.endsWith("bit-exact")), "golden verdicts");

    // Refusals, each before anything is written.
    const refused = async (args: string[], re: RegExp) => {
      const r = await task(["merge", ...args, "--out", "reports/test-merged-refused"]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit 2\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, re);
      await assert.rejects(Deno.stat(join(PROJECT_ROOT, "reports", "test-merged-refused")));
    };
    await refused([dirs[0], dirs[1]], /missing shard 3\/3 \(given: 1\/3, 2\/3\)/);
    await refused([dirs[0], dirs[0], dirs[1], dirs[2]], /shard 1\/3 given twice/);
    await refused([dirs[0], "reports/test-no-such"], /test-no-such: no summary\.json/);
    await refused([dirs[0], "reports/test-site"], /test-site: not a shard/);
    // A shard of another commit, of other versions, of another selection.
    const forged = join(PROJECT_ROOT, "reports", "test-shard-forged");
    const forge = async (edit: (s: Record<string, unknown>) => void) => {
      await Deno.remove(forged, { recursive: true }).catch(() => {});
      await Deno.mkdir(forged, { recursive: true });
      const s = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, dirs[2], "summary.json")));
      edit(s);
      await Deno.writeTextFile(join(forged, "summary.json"), JSON.stringify(s));
    };
    await forge((s) => (s.commit = "0".repeat(40)));
    await refused([dirs[0], dirs[1], forged], /not shards of one run: they differ in commit/);
    await forge((s) => ((s.versions as Record<string, string>).tfjs = "4.21.0"));
    await refused([dirs[0], dirs[1], forged], /differ in versions/);
    await forge((s) => ((s.selection as Record<string, unknown>).seed = 7));
    await refused([dirs[0], dirs[1], forged], /differ in selection/);
    await forge((s) => (s.shard = { index: 2, count: 4 }));
    await refused([dirs[0], dirs[1], forged], /differ in shard count/);
    await forge((
      s,
    ) => (s.experiments = [...(s.experiments as unknown[]), (s.experiments as unknown[])[0]]));
    await refused([dirs[0], dirs[1], forged], /is in two shards/);
    await forge((s) => (s.experiments = (s.experiments as unknown[]).slice(1)));
    await refused([dirs[0], dirs[1], forged], /runs of the plan in no shard/);
    for (const d of [...dirs, "reports/test-shard-forged", "reports/test-merged"]) {
      await Deno.remove(join(PROJECT_ROOT, d), { recursive: true });
    }
  },
});

/** A small sweep: ncsn-three-clusters' ten full-profile seeds, each run shrunk by overrides. */
const SMALL_SWEEP = [
  "--profile",
  "full",
  "--sweep",
  "--only",
  "ncsn-three-clusters",
  ...[
    "train.steps=150",
    "sample.levels=10",
    "sample.stepsPerLevel=10",
    "sample.samples=300",
    "quality.referenceSize=1000",
    "quality.permutations=20",
    "quality.permutationSize=150",
  ].flatMap((s) => ["--set", `ncsn-three-clusters.${s}`]),
];

Deno.test({
  name:
    "a seed sweep: one folder per run, the spread of every metric computed from the runs, sharded = serial",
  async fn() {
    const serial = join(PROJECT_ROOT, "reports", "test-sweep");
    const r = await task(["reproduce", ...SMALL_SWEEP, "--out", "reports/test-sweep"]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const root = join(serial, "ncsn-three-clusters");
    const runs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => `seed-${s}`);
    const metricsOf = runs.map((id) =>
      JSON.parse(Deno.readTextFileSync(join(root, "runs", id, "metrics.json")))
    );
    assert.deepEqual(metricsOf.map((m) => m.seed), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const agg = JSON.parse(await Deno.readTextFile(join(root, "aggregate.json")));
    for (const name of ["mmd2", "modeKl"]) {
      const values = metricsOf.map((m) => m.metrics[name] as number);
      const row = agg.metrics.find((x: { name: string }) => x.name === name);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      assert.ok(Math.abs(row.mean - mean) <= 1e-12 * Math.abs(mean), `${name} mean`);
      assert.ok(Math.abs(row.std - sd) <= 1e-9 * sd, `${name} std`);
      assert.equal(row.n, 10);
      assert.equal(row.min, Math.min(...values));
      assert.ok(sd > 0, `${name}: the seeds differ (spread ${sd})`);
    }
    const page = await Deno.readTextFile(join(root, "index.html"));
    for (const id of runs) assert.ok(page.includes(`href="runs/${id}/index.html"`), id);
    const index = await Deno.readTextFile(join(serial, "index.html"));
    assert.match(index, /10-seed sweep/);
    assert.match(index, /<code>mmd2<\/code> [0-9.e-]+ ± [0-9.e-]+/);

    // The same sweep in two shards, merged.
    const dirs = ["reports/test-sweep-1", "reports/test-sweep-2"];
    const shards = await Promise.all(
      dirs.map((d, i) =>
        task(["reproduce", ...SMALL_SWEEP, "--shard", `${i + 1}/2`, "--workers", "1", "--out", d])
      ),
    );
    for (const s of shards) assert.equal(s.code, 0, `${s.stdout}\n${s.stderr}`);
    const m = await task(["merge", ...dirs, "--out", "reports/test-sweep-merged"]);
    assert.equal(m.code, 0, `${m.stdout}\n${m.stderr}`);
    const merged = join(PROJECT_ROOT, "reports", "test-sweep-merged");
    assert.deepEqual(siteDiff(await siteFiles(serial), await siteFiles(merged)), []);

    const browser = await Chromium.launch();
    if (requireTool(browser, "/usr/bin/chromium", "the sweep pages' browser check")) {
      try {
        for (const p of ["index.html", "runs/seed-3/index.html"]) {
          const rep = await browser.check(pathToFileURL(join(root, p)).href);
          assert.ok(rep.charts.length > 0, `${p} has charts`);
          assert.deepEqual(problems(rep, { charts: true }), [], p);
        }
        const idx = await browser.check(pathToFileURL(join(serial, "index.html")).href);
        assert.deepEqual(problems(idx, { charts: false }), [], "index");
      } finally {
        await browser.close();
      }
    }
    for (const d of ["reports/test-sweep", ...dirs, "reports/test-sweep-merged"]) {
      await Deno.remove(join(PROJECT_ROOT, d), { recursive: true });
    }
  },
});
