/**
 * Static rendering of Vega-Lite specs to SVG, in-process and offline (vega-lite compiles the spec,
 * a headless vega View renders it). The SVG is the page's fallback when scripts are off, and what
 * the index thumbnails show.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { Spec } from "./charts.ts";

/**
 * Vega names clip paths from a counter that lives as long as the process (`clip54` after 53 earlier
 * clips), so the same chart would differ with the charts drawn before it. Renumber them per SVG,
 * in order of appearance: the SVG then depends on the spec alone. A name is `clip<digits>` after
 * `id="` or `url(#`; the scan jumps from one "clip" to the next (a regular expression that
 * starts with the two leads tries every position of a quick profile's 41 MB of SVG: ~10x slower).
 */
export function numberClipsFromOne(svg: string): string {
  const ids = new Map<string, number>();
  let out = "", from = 0;
  for (let at = svg.indexOf("clip"); at >= 0; at = svg.indexOf("clip", at + 4)) {
    if (!svg.startsWith('id="', at - 4) && !svg.startsWith("url(#", at - 5)) continue;
    let end = at + 4;
    while (end < svg.length && svg.charCodeAt(end) >= 48 && svg.charCodeAt(end) <= 57) end++;
    if (end === at + 4) continue;
    const n = svg.slice(at + 4, end);
    if (!ids.has(n)) ids.set(n, ids.size + 1);
    out += svg.slice(from, at + 4) + ids.get(n);
    from = end;
  }
  return out + svg.slice(from);
}

/** Render a Vega-Lite spec to an SVG string. Throws with the chart's title when the spec is invalid. */
export async function renderSvg(spec: Spec): Promise<string> {
  let view: vega.View | undefined;
  try {
    // deno-lint-ignore no-explicit-any
    const compiled = vl.compile(spec as any).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none" });
    return numberClipsFromOne(await view.toSVG());
  } catch (e) {
    throw new Error(
      `chart "${String(spec.title ?? "?")}" failed to render: ${(e as Error).message}`,
    );
  } finally {
    view?.finalize();
  }
}
