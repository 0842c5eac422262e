/**
 * The published report proves itself: three experiments of the quick profile are run by Deno,
 * the site is published (`deno task publish`, which bundles the browser worker), served on
 * 127.0.0.1, and each experiment page, opened with `?reproduce=quick` in headless Chromium,
 * re-runs the experiment in a Web Worker; the sha256 of its samples.csv must be the one Deno wrote,
 * and the same as the golden's. Also: the run in this thread (the worker's code path) gives Deno's
 * bytes, and a file:// page says why it cannot run instead of failing silently.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { Chromium } from "./tools/chromium.ts";
import { requireTool } from "./tools/require.ts";
import { task } from "./tools/task.ts";
import { initBackend } from "../core/runtime/backend.ts";
import { runInThread } from "../core/browser/run.ts";
import { SILENT_PROGRESS } from "../core/runtime/progress.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import { readGolden } from "../core/harness/golden.ts";

/** One with no network, one with a trained network on our kernels, one with parts-free training. */
const CHOSEN = ["ring-demo", "ncsn-three-clusters", "conditional-onehot"];

const MIME: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  json: "application/json",
  wasm: "application/wasm",
  svg: "image/svg+xml",
  csv: "text/csv",
  txt: "text/plain",
};

/** A static file server for `dir` on 127.0.0.1 (an ephemeral port). */
function serve(dir: string): { server: Deno.HttpServer; origin: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(join(dir, path.endsWith("/") ? path + "index.html" : path));
      const ext = path.split(".").pop() ?? "";
      return new Response(body, { headers: { "content-type": MIME[ext] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const addr = server.addr as Deno.NetAddr;
  return { server, origin: `http://127.0.0.1:${addr.port}` };
}

Deno.test("the worker's code path (a run in this thread) gives the bytes the harness wrote", async () => {
  await initBackend();
  // sde-vs-ode: parts that need a part (its samplers need its training).
  for (const name of ["ring-demo", "ncsn-three-clusters", "sde-vs-ode"]) {
    const exp = EXPERIMENTS.find((e) => e.name === name)!;
    const r = await runInThread(exp, "quick", exp.seed, SILENT_PROGRESS);
    const g = await readGolden(
      join(PROJECT_ROOT, "fixtures", "golden", `${name}.quick.json`),
      name,
      "quick",
    );
    const run = g!.runs.find((x) => x.seed === exp.seed)!;
    assert.equal(r.samplesSha256, run.samplesSha256, `${name}: sha256 against the golden`);
    assert.deepEqual(r.metrics, run.metrics, `${name}: metrics against the golden`);
    assert.deepEqual(r.outputsSha256, run.outputsSha256, `${name}: every other output too`);
  }
});

Deno.test({
  name: "published site: three experiments reproduced in headless Chromium, sha256 equal to Deno's",
  async fn() {
    const out = "reports/test-browser", site = "reports/test-browser-site";
    try {
      const r = await task([
        "reproduce",
        "--profile",
        "quick",
        "--only",
        CHOSEN.join(","),
        "--out",
        out,
        "--ci=true",
      ]);
      assert.equal(r.code, 0, `reproduce:\n${r.stdout}\n${r.stderr}`);
      const p = await task(["publish", "--from", out, "--to", site]);
      assert.equal(p.code, 0, `publish:\n${p.stdout}\n${p.stderr}`);
      const summary = JSON.parse(
        await Deno.readTextFile(join(PROJECT_ROOT, out, "summary.json")),
      ) as { experiments: { name: string; samplesSha256: string }[] };

      const browser = await Chromium.launch();
      if (!requireTool(browser, "/usr/bin/chromium", "the in-browser reproduction")) return;
      const { server, origin } = serve(join(PROJECT_ROOT, site));
      try {
        for (const name of CHOSEN) {
          const deno = summary.experiments.find((e) => e.name === name)!.samplesSha256;
          assert.match(deno, /^[0-9a-f]{64}$/, `${name}: Deno's sha256`);
          const res = await browser!.waitFor(`${origin}/${name}/index.html?reproduce=quick`, {
            until: `["done", "error"].includes(document.getElementById("reproduce-verdict")` +
              `.dataset.state)`,
            value: `(() => { const v = document.getElementById("reproduce-verdict").dataset;
              return { state: v.state, experiment: v.experiment, profile: v.profile,
                sha256: v.sha256, verdict: v.verdict,
                status: document.querySelector("section.reproduce .status").textContent }; })()`,
            timeoutMs: 180_000,
          });
          const v = res.value as Record<string, string>;
          assert.equal(res.timedOut, false, `${name}: the browser run did not end`);
          assert.equal(v.state, "done", `${name}: ${v.status}`);
          assert.equal(v.experiment, name);
          assert.equal(v.profile, "quick");
          assert.equal(v.sha256, deno, `${name}: browser sha256 against Deno's`);
          assert.equal(v.verdict, "bit-exact", `${name}: ${v.status}`);
          assert.match(v.status, /so are every metric and the [1-9]\d* other outputs/, name);
          assert.deepEqual(res.offOrigin, [], `${name}: requests off the site`);
          assert.deepEqual(res.consoleErrors, [], `${name}: console errors`);
        }
        // From file:// a worker cannot start: the page says so instead of failing silently.
        const file = await browser!.waitFor(
          `file://${join(PROJECT_ROOT, site, CHOSEN[0], "index.html")}?reproduce=quick`,
          {
            until: `document.getElementById("reproduce-verdict").dataset.state === "error"`,
            value: `document.querySelector("section.reproduce .status").textContent`,
            timeoutMs: 20_000,
          },
        );
        assert.equal(file.timedOut, false, "file:// page: no verdict");
        assert.match(String(file.value), /file:\/\/.*serve the site over http/);
      } finally {
        await server.shutdown();
        await browser!.close();
      }
    } finally {
      for (const d of [out, site]) {
        await Deno.remove(join(PROJECT_ROOT, d), { recursive: true }).catch(() => {});
      }
    }
  },
});
