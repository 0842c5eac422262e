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
  await writeFileAtomic(join(outDir, "assets", "report.js"), REPORT_SCRIPT);
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
