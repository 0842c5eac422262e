/**
 * `deno run --allow-read=. tests/tools/replay.ts reports/summary.json [workers...] [--shards K,...]`:
 * replay the workers' scheduling policy (`runPlans`: ready jobs by priority, a part's dependents and
 * a run's assembly to the front as they become ready) on the job seconds a run measured, for more
 * workers than it had, with today's estimates (`fixtures/costs.json`, parts by their recorded costs)
 * and with an equal share of each run's cost per part. With `--shards`, K shards of 2 workers each
 * as `shardWork` divides the plan: the slowest shard, then the merge assembling the split runs one
 * after another. An estimate: the job times were measured beside other jobs on this machine's
 * workers, and a start-up of ~2 s (per shard, and the merge's) is not in it.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { descendants, partGraph } from "../../core/harness/parts.ts";
import { type CostsFile, partition, type Plan } from "../../core/harness/plan.ts";
import { shardWork } from "../../core/harness/shard.ts";

interface Run {
  name: string;
  profile: "quick" | "full";
  wallSeconds: number;
  partSeconds?: Record<string, number>;
  partNeeds?: Record<string, string[]>;
  assemblySeconds?: number;
}
type Job = { run: number; part?: string; priority: number };

const flag = Deno.args.indexOf("--shards");
const shardCounts = flag < 0 ? [] : Deno.args[flag + 1].split(",").map(Number);
const [file, ...counts] = flag < 0 ? Deno.args : Deno.args.slice(0, flag);
const summary = JSON.parse(await Deno.readTextFile(file)) as { experiments: Run[] };
const runs = summary.experiments;
const recorded = JSON.parse(
  await Deno.readTextFile(join(PROJECT_ROOT, "fixtures", "costs.json")),
) as CostsFile;

/**
 * The makespan on `n` workers; `byPart`: parts ranked by their recorded costs. `only` (a shard):
 * the runs it runs, whole (null) or some of their parts without their assembly.
 */
function replay(n: number, byPart: boolean, only?: Map<number, string[] | null>): number {
  const graphs = runs.map((r) => {
    const parts = Object.keys(r.partSeconds ?? {});
    const needs = Object.fromEntries(
      parts.map((p) => [p, (r.partNeeds?.[p] ?? []).filter((q) => parts.includes(q))]),
    );
    return partGraph(r.name, parts, needs);
  });
  const unmet = graphs.map((g) => Object.fromEntries(g.order.map((p) => [p, g.needs[p].length])));
  const mine = (i: number) => !only || only.has(i);
  const partsHere = (i: number) => only?.get(i) ?? graphs[i].order;
  const assembles = (i: number) => !only || only.get(i) === null;
  const waiting = graphs.map((_, i) => partsHere(i).length);
  const runCost = (i: number) => recorded.costs[runs[i].name]?.[runs[i].profile] ?? 1;
  const estimate = (i: number, p: string) =>
    (byPart ? recorded.partCosts?.[runs[i].name]?.[runs[i].profile]?.[p] : undefined) ??
      runCost(i) / graphs[i].order.length;
  const partJob = (i: number, p: string): Job => ({
    run: i,
    part: p,
    priority: [...descendants(graphs[i], p)].reduce((a, d) => a + estimate(i, d), estimate(i, p)),
  });
  const ready: Job[] = [];
  runs.forEach((_, i) => {
    if (!mine(i)) return;
    const g = graphs[i];
    if (!g.order.length) ready.push({ run: i, priority: runCost(i) });
    for (const p of partsHere(i)) if (unmet[i][p] === 0) ready.push(partJob(i, p));
  });
  ready.sort((a, b) => b.priority - a.priority || a.run - b.run);
  const seconds = (j: Job) => {
    const r = runs[j.run];
    if (j.part) return r.partSeconds![j.part];
    return graphs[j.run].order.length ? r.assemblySeconds ?? 0 : r.wallSeconds;
  };
  let t = 0, free = n, done = 0;
  const running: { end: number; job: Job }[] = [];
  const total = runs.filter((_, i) => mine(i)).length;
  while (done < total) {
    while (free > 0 && ready.length) {
      const job = ready.shift()!;
      running.push({ end: t + seconds(job), job });
      free--;
    }
    running.sort((a, b) => a.end - b.end);
    const { end, job } = running.shift()!;
    t = end;
    free++;
    if (!job.part) {
      done++;
      continue;
    }
    for (const d of graphs[job.run].dependents[job.part]) {
      if (--unmet[job.run][d] === 0) ready.unshift(partJob(job.run, d));
    }
    if (--waiting[job.run] > 0) continue;
    if (assembles(job.run)) ready.unshift({ run: job.run, priority: 0 });
    else done++;
  }
  return t;
}

/** K shards of 2 workers: the slowest shard, and the merge's assemblies of the split runs. */
function replayShards(
  k: number,
): { slowest: number; merge: number; split: string[]; wholeRuns: number } {
  const plans = runs.map((r) => ({
    exp: { name: r.name },
    runId: "",
    parts: Object.keys(r.partSeconds ?? {}),
    needs: r.partNeeds ?? {},
  })) as unknown as Plan[];
  const cost = (key: string) => recorded.costs[key]?.[runs[0].profile] ?? 1;
  const partCost = (key: string, part: string) =>
    recorded.partCosts?.[key]?.[runs[0].profile]?.[part];
  const work = shardWork(plans, cost, partCost, k);
  const index = new Map(runs.map((r, i) => [r.name, i]));
  const slowest = Math.max(...work.map((w) =>
    replay(
      2,
      true,
      new Map<number, string[] | null>([
        ...w.runs.map((key) => [index.get(key)!, null] as [number, null]),
        ...[...w.parts].map(([key, parts]) => [index.get(key)!, parts] as [number, string[]]),
      ]),
    )
  ));
  const split = [...new Set(work.flatMap((w) => [...w.parts.keys()]))];
  const merge = split.reduce((a, key) => a + (runs[index.get(key)!].assemblySeconds ?? 0), 0);
  // The same shards with every run whole (no split), as before shardWork.
  const wholeRuns = Math.max(
    ...partition(runs.map((r) => r.name), cost, k).map((keys) =>
      replay(2, true, new Map(keys.map((key) => [index.get(key)!, null])))
    ),
  );
  return { slowest, merge, split, wholeRuns };
}

const work = runs.reduce((a, r) => a + r.wallSeconds, 0);
console.log(`${runs.length} runs, work ${work.toFixed(0)} s`);
for (const k of shardCounts) {
  const r = replayShards(k);
  console.log(
    `${String(k).padStart(3)} shards of 2 workers: slowest shard ${r.slowest.toFixed(1)} s, then ` +
      `the merge's assemblies ${r.merge.toFixed(1)} s (split: ${r.split.join(", ") || "none"}); ` +
      `every run whole: slowest shard ${r.wholeRuns.toFixed(1)} s`,
  );
}
for (const n of (counts.length ? counts : ["1", "2", "4", "8", "16", "32"]).map(Number)) {
  console.log(
    `${String(n).padStart(3)} workers: ${replay(n, true).toFixed(1)} s by part costs, ` +
      `${replay(n, false).toFixed(1)} s by equal shares (work / n ${(work / n).toFixed(1)} s)`,
  );
}
