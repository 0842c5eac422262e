/**
 * What one shard of a plan runs. A run is a unit of its own, except a run that costs more than a
 * shard's fair share (the plan's cost over the shard count) and whose parts fall into two or more
 * groups that need nothing from each other: each such group is a unit, so that no shard waits on
 * one long run (ddpm-ring8-improved's seven trainings, score-fields' four levels). Units go to
 * shards longest first, each to the least loaded (`partition`). A run whose units all land in one
 * shard runs there whole; the others are split: each shard runs its parts of them and keeps their
 * outputs, and `merge` assembles the run from the shards' parts.
 */
import { partGraph } from "./parts.ts";
import { partition, type Plan, runKey } from "./plan.ts";

/** A shard's work: runs it runs whole, and parts of split runs (assembled by `merge`). */
export interface ShardWork {
  /** Keys of the runs this shard runs and assembles. */
  runs: string[];
  /** Split runs: the parts of each that this shard runs (the run's key -> its parts here). */
  parts: Map<string, string[]>;
}

/**
 * The groups of a run's parts that share no need, each in the run's part order (a part with the
 * parts it needs and the parts that need it, transitively).
 */
export function partGroups(p: Plan): string[][] {
  const g = partGraph(runKey(p), p.parts, p.needs);
  const group = new Map<string, number>();
  const groups: string[][] = [];
  for (const start of p.parts) {
    if (group.has(start)) continue;
    const id = groups.length;
    const stack = [start];
    while (stack.length) {
      const q = stack.pop()!;
      if (group.has(q)) continue;
      group.set(q, id);
      stack.push(...g.needs[q], ...g.dependents[q]);
    }
    groups.push(p.parts.filter((q) => group.get(q) === id));
  }
  return groups;
}

/**
 * Every shard's work for `count` shards. Deterministic for given plans and costs: every run whole
 * in exactly one shard, or each of its parts in exactly one shard.
 */
export function shardWork(
  plans: Plan[],
  cost: (key: string) => number,
  partCost: (key: string, part: string) => number | undefined,
  count: number,
): ShardWork[] {
  const total = plans.reduce((a, p) => a + cost(runKey(p)), 0);
  const fair = total / count;
  const units = new Map<string, { key: string; parts: string[] | null; cost: number }>();
  for (const p of plans) {
    const key = runKey(p);
    const groups = p.parts.length ? partGroups(p) : [];
    if (count === 1 || cost(key) <= fair || groups.length < 2) {
      units.set(key, { key, parts: null, cost: cost(key) });
      continue;
    }
    const share = cost(key) / p.parts.length;
    for (const parts of groups) {
      const c = parts.reduce((a, part) => a + (partCost(key, part) ?? share), 0);
      units.set(JSON.stringify([key, parts]), { key, parts, cost: c });
    }
  }
  const ids = [...units.keys()];
  const order = new Map(plans.map((p, i) => [runKey(p), i]));
  return partition(ids, (id) => units.get(id)!.cost, count).map((mine) => {
    const whole: string[] = [];
    const parts = new Map<string, string[]>();
    for (const id of mine) {
      const u = units.get(id)!;
      if (!u.parts) whole.push(u.key);
      else parts.set(u.key, [...(parts.get(u.key) ?? []), ...u.parts]);
    }
    // A split run whose every part landed here runs whole after all.
    for (const p of plans) {
      const key = runKey(p);
      const here = parts.get(key);
      if (here && here.length === p.parts.length) {
        parts.delete(key);
        whole.push(key);
      }
    }
    whole.sort((a, b) => order.get(a)! - order.get(b)!);
    for (const [key, list] of parts) {
      const p = plans[order.get(key)!];
      parts.set(key, p.parts.filter((q) => list.includes(q)));
    }
    return { runs: whole, parts };
  });
}
