/**
 * The report site's shared assets, written once per run under `<out>/assets/`: vega, vega-lite and
 * vega-embed from the pinned npm packages in one script (no CDN: the site works from `file://` and
 * offline), their licences, and the small script that turns each page's inline specs into
 * interactive charts.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../runtime/io.ts";

/** The packages bundled, in load order (vega-lite needs vega; vega-embed needs both). */
const BUNDLED = [
  { name: "vega", file: "build/vega.min.js" },
  { name: "vega-lite", file: "build/vega-lite.min.js" },
  { name: "vega-embed", file: "build/vega-embed.min.js" },
];

/** The installed root folder of a package (its entry point sits in `build/`). */
function packageRoot(name: string): string {
  return dirname(dirname(createRequire(import.meta.url).resolve(name)));
}

/**
 * The page script: render every `figure.chart` from its inline spec with vega-embed; once rendered,
 * the figure gets the class `interactive` (hiding its static SVG). Failures go to the console, where
 * the browser test looks for them.
 */
export const REPORT_SCRIPT =
  `// scorelab: render each chart's inline Vega-Lite spec with vega-embed.
document.querySelectorAll("figure.chart").forEach(async (fig) => {
  const source = fig.querySelector('script[type="application/json"]');
  const target = fig.querySelector(".embed");
  if (!source || !target) return;
  try {
    await vegaEmbed(target, JSON.parse(source.textContent), {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
    });
    fig.classList.add("interactive");
  } catch (e) {
    console.error("chart " + fig.id + " failed to render: " + e);
  }
});
`;

/**
 * The page script of "Reproduce in your browser" (`section.reproduce`): re-runs the experiment in a
 * Web Worker of the published site (`assets/reproduce/worker.js`, bundled by `deno task publish`)
 * and compares the sha256 of its samples.csv and its metrics with the published references
 * (`assets/reproduce/references.json`, from the goldens). The outcome is exposed on
 * `#reproduce-verdict` as `data-state` (idle, running, done, error), `data-experiment`,
 * `data-profile`, `data-sha256` and `data-verdict` (bit-exact or differs); `?reproduce=quick` (or
 * `=full`) starts a run on load.
 */
export const REPRODUCE_SCRIPT = `// scorelab: reproduce this experiment in the browser.
(() => {
  const box = document.querySelector("section.reproduce");
  if (!box) return;
  const root = box.dataset.root, experiment = box.dataset.experiment;
  const verdict = document.getElementById("reproduce-verdict");
  const status = box.querySelector(".status"), bar = box.querySelector("progress");
  const button = box.querySelector("button"), select = box.querySelector("select");
  const table = box.querySelector("table");
  const say = (text) => { status.textContent = text; };
  const set = (attrs) => { for (const [k, v] of Object.entries(attrs)) verdict.dataset[k] = v; };
  async function start(profile) {
    if (location.protocol === "file:") {
      set({ state: "error" });
      say("Browsers do not start Web Workers from file:// pages: serve the site over http " +
        "(for example python3 -m http.server in its folder) and open it from there.");
      return;
    }
    let refs;
    try {
      const r = await fetch(root + "assets/reproduce/references.json");
      if (!r.ok) throw new Error(r.status);
      refs = await r.json();
    } catch {
      set({ state: "error" });
      say("This copy of the report has no browser reproduction: it comes with the published site " +
        "(deno task publish).");
      return;
    }
    const ref = refs[experiment] && refs[experiment][profile];
    if (!ref) { set({ state: "error" }); say("No published " + profile + " run to compare with."); return; }
    button.disabled = true;
    set({ state: "running", experiment, profile, sha256: "", verdict: "" });
    const t0 = performance.now();
    const worker = new Worker(root + "assets/reproduce/worker.js", { type: "module" });
    worker.onerror = (e) => { set({ state: "error" }); say("The worker failed: " + e.message); };
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        bar.max = data.total; bar.value = data.done;
        say(data.phase + ": " + data.done + " / " + data.total);
      } else if (data.type === "error") {
        set({ state: "error" }); say("The run stopped: " + data.message); worker.terminate();
        button.disabled = false;
      } else if (data.type === "done") {
        worker.terminate();
        button.disabled = false;
        // Bit-exact means all of it: samples.csv, every metric, every other output the golden keeps.
        const same = data.samplesSha256 === ref.samplesSha256;
        const union = (a, b) => [...new Set([...Object.keys(a), ...Object.keys(b)])];
        const metricsOff = union(ref.metrics, data.metrics)
          .filter((k) => !Object.is(ref.metrics[k], data.metrics[k]));
        const outputsOff = union(ref.outputsSha256, data.outputsSha256)
          .filter((k) => ref.outputsSha256[k] !== data.outputsSha256[k]);
        const exact = same && metricsOff.length === 0 && outputsOff.length === 0;
        const rows = union(ref.metrics, data.metrics).map((k) => {
          const a = ref.metrics[k], b = data.metrics[k];
          return "<tr><td><code>" + k + "</code></td><td class=num>" + a + "</td><td class=num>" + b +
            "</td><td>" + (Object.is(a, b) ? "same" : "differs by " + (b - a)) + "</td></tr>";
        });
        const short = (h) => h ? "<code>" + h.slice(0, 12) + "</code>" : "–";
        const outputRows = union(ref.outputsSha256, data.outputsSha256).map((k) => {
          const a = ref.outputsSha256[k], b = data.outputsSha256[k];
          return "<tr><td>" + k + " (sha256)</td><td>" + short(a) + "</td><td>" + short(b) +
            "</td><td>" + (a === b ? "same" : "differs") + "</td></tr>";
        });
        table.innerHTML = "<thead><tr><th>metric or output</th><th>published</th><th>this browser</th><th></th></tr></thead><tbody>" + rows.concat(outputRows).join("") + "</tbody>";
        set({ state: "done", sha256: data.samplesSha256 || "", verdict: exact ? "bit-exact" : "differs" });
        say((exact ? "Bit-exact: " : "Differs: ") + "samples.csv sha256 " + data.samplesSha256 +
          (same ? " is the published one" : " (published " + ref.samplesSha256 + ")") +
          (exact ? ", and so are every metric and the " + outputRows.length + " other outputs"
            : (metricsOff.length ? "; metrics that differ: " + metricsOff.join(", ") : "") +
              (outputsOff.length ? "; outputs that differ: " + outputsOff.join(", ") : "")) + ", " +
          ((performance.now() - t0) / 1000).toFixed(1) + " s in this browser, kernels " + data.kernels + ".");
      }
    };
    worker.postMessage({ experiment, profile, seed: ref.seed,
      wasmBase: new URL(root + "assets/reproduce/", location.href).href });
  }
  button.addEventListener("click", () => start(select.value));
  const asked = new URLSearchParams(location.search).get("reproduce");
  if (asked === "quick" || asked === "full") start(asked);
})();
`;

/** Write `assets/vega-bundle.js`, `assets/LICENSES.txt` and `assets/report.js` under `outDir`. */
export async function writeSiteAssets(outDir: string): Promise<void> {
  const parts: string[] = [];
  const licences: string[] = [];
  for (const p of BUNDLED) {
    const root = packageRoot(p.name);
    const version = JSON.parse(await Deno.readTextFile(join(root, "package.json"))).version;
    parts.push(
      `/* ${p.name} ${version} (BSD-3-Clause, see LICENSES.txt) */\n` +
        await Deno.readTextFile(join(root, p.file)),
    );
    licences.push(
      `${p.name} ${version}\n${"=".repeat(40)}\n${await Deno.readTextFile(join(root, "LICENSE"))}`,
    );
  }
  await writeFileAtomic(join(outDir, "assets", "vega-bundle.js"), parts.join("\n;\n"));
  await writeFileAtomic(join(outDir, "assets", "LICENSES.txt"), licences.join("\n\n"));
  await writeFileAtomic(join(outDir, "assets", "report.js"), REPORT_SCRIPT + REPRODUCE_SCRIPT);
}

/** JSON safe inside an HTML <script> element: no character of it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
