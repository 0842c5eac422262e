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
 * in order of appearance: the SVG then depends on the spec alone.
 */
function numberClipsFromOne(svg: string): string {
  const ids = new Map<string, number>();
  return svg.replace(/(id="|url\(#)clip(\d+)/g, (_, lead: string, n: string) => {
    if (!ids.has(n)) ids.set(n, ids.size + 1);
    return `${lead}clip${ids.get(n)}`;
  });
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
