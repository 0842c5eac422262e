/**
 * The parts of a run as a graph: a part may need other parts' outputs first (a training before the
 * samplers that use its network), so that a run's long phases become short jobs on any worker.
 * Checked when the run is planned: every need is a part of the run, and no part needs itself
 * through others.
 */

/** A run's parts, an order that respects their needs, and the needs both ways. */
export interface PartGraph {
  /** Every part after the parts it needs; otherwise in the declared order. */
  order: string[];
  /** For each part, the parts whose outputs it reads (its `ctx.parts`). */
  needs: Record<string, string[]>;
  /** For each part, the parts that need it. */
  dependents: Record<string, string[]>;
}

/**
 * The graph of `parts` with `needs` (part -> the parts it needs; a part not named needs nothing).
 * Throws, naming `run` and the part, on a duplicate part, a need that is not a part, or a circle.
 */
export function partGraph(
  run: string,
  parts: string[],
  needs: Record<string, string[]> = {},
): PartGraph {
  const known = new Set<string>();
  for (const p of parts) {
    if (known.has(p)) throw new Error(`${run}: part "${p}" is declared twice`);
    known.add(p);
  }
  const allowed = parts.join(", ");
  const own: Record<string, string[]> = {};
  const dependents: Record<string, string[]> = {};
  for (const p of parts) dependents[p] = [];
  for (const p of parts) own[p] = [];
  for (const [p, list] of Object.entries(needs)) {
    if (!known.has(p)) {
      throw new Error(
        `${run}: needs are given for "${p}", which is not one of its parts (${allowed})`,
      );
    }
    for (const n of list) {
      if (!known.has(n)) {
        throw new Error(
          `${run}: part "${p}" needs "${n}", which is not one of its parts (${allowed})`,
        );
      }
      if (own[p].includes(n)) continue;
      own[p].push(n);
      dependents[n].push(p);
    }
  }
  // Depth-first, in the declared order: a part is placed after everything it needs.
  const order: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (p: string, path: string[]) => {
    if (state.get(p) === "done") return;
    if (state.get(p) === "open") {
      throw new Error(`${run}: parts need each other in a circle (${[...path, p].join(" -> ")})`);
    }
    state.set(p, "open");
    for (const n of own[p]) visit(n, [...path, p]);
    state.set(p, "done");
    order.push(p);
  };
  for (const p of parts) visit(p, []);
  return { order, needs: own, dependents };
}

/** The parts that need `part`, directly or through others. */
export function descendants(g: PartGraph, part: string): Set<string> {
  const out = new Set<string>();
  const stack = [...g.dependents[part]];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    stack.push(...g.dependents[p]);
  }
  return out;
}

/**
 * The least wall time of the parts with a worker for each: the longest chain of needs, each part
 * starting when the last part it needs ends (`seconds` per part; a missing part counts 0).
 */
export function partSpan(g: PartGraph, seconds: Record<string, number>): number {
  const end: Record<string, number> = {};
  let span = 0;
  for (const p of g.order) {
    const start = Math.max(0, ...g.needs[p].map((n) => end[n]));
    end[p] = start + (seconds[p] ?? 0);
    span = Math.max(span, end[p]);
  }
  return span;
}
