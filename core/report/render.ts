/**
 * Static rendering of Vega-Lite specs to SVG, in-process and offline (vega-lite compiles the spec,
 * a headless vega View renders it). The SVG is the page's fallback when scripts are off, and what
 * the index thumbnails show.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { Spec } from "./charts.ts";

/** Render a Vega-Lite spec to an SVG string. Throws with the chart's title when the spec is invalid. */
export async function renderSvg(spec: Spec): Promise<string> {
  let view: vega.View | undefined;
  try {
    // deno-lint-ignore no-explicit-any
    const compiled = vl.compile(spec as any).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none" });
    return await view.toSVG();
  } catch (e) {
    throw new Error(
      `chart "${String(spec.title ?? "?")}" failed to render: ${(e as Error).message}`,
    );
  } finally {
    view?.finalize();
  }
}
