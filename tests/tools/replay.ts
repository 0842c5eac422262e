/**
 * `deno run --allow-read=. tests/tools/replay.ts reports/summary.json [workers...]`: replay the
 * workers' scheduling policy (`runPlans`: ready jobs by priority, a part's dependents and a run's
 * assembly to the front as they become ready) on the job seconds a run measured, for more workers
 * than it had, with today's estimates (`fixtures/costs.json`, parts by their recorded costs) and
 * with an equal share of each run's cost per part. An estimate: the job times were measured beside
 * other jobs on this machine's workers, and a start-up of ~2 s is not in it.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { descendants, partGraph } from "../../core/harness/parts.ts";
import type { CostsFile } from "../../core/harness/plan.ts";

interface Run {
  name: string;
  profile: "quick" | "full";
  wallSeconds: number;
  partSeconds?: Record<string, number>;
  partNeeds?: Record<string, string[]>;
  assemblySeconds?: number;
}
type Job = { run: number; part?: string; priority: number };

const [file, ...counts] = Deno.args;
const summary = JSON.parse(await Deno.readTextFile(file)) as { experiments: Run[] };
const runs = summary.experiments;
const recorded = JSON.parse(
  await Deno.readTextFile(join(PROJECT_ROOT, "fixtures", "costs.json")),
) as CostsFile;

/** The makespan on `n` workers; `byPart`: parts ranked by their recorded costs. */
function replay(n: number, byPart: boolean): number {
  const graphs = runs.map((r) => {
    const parts = Object.keys(r.partSeconds ?? {});
    const needs = Object.fromEntries(
      parts.map((p) => [p, (r.partNeeds?.[p] ?? []).filter((q) => parts.includes(q))]),
    );
    return partGraph(r.name, parts, needs);
  });
  const unmet = graphs.map((g) => Object.fromEntries(g.order.map((p) => [p, g.needs[p].length])));
  const waiting = graphs.map((g) => g.order.length);
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
    const g = graphs[i];
    if (!g.order.length) ready.push({ run: i, priority: runCost(i) });
    for (const p of g.order) if (unmet[i][p] === 0) ready.push(partJob(i, p));
  });
  ready.sort((a, b) => b.priority - a.priority || a.run - b.run);
  const seconds = (j: Job) => {
    const r = runs[j.run];
    if (j.part) return r.partSeconds![j.part];
    return graphs[j.run].order.length ? r.assemblySeconds ?? 0 : r.wallSeconds;
  };
  let t = 0, free = n, done = 0;
  const running: { end: number; job: Job }[] = [];
  while (done < runs.length) {
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
    if (--waiting[job.run] === 0) ready.unshift({ run: job.run, priority: 0 });
  }
  return t;
}

const work = runs.reduce((a, r) => a + r.wallSeconds, 0);
console.log(`${runs.length} runs, work ${work.toFixed(0)} s`);
for (const n of (counts.length ? counts : ["1", "2", "4", "8", "16", "32"]).map(Number)) {
  console.log(
    `${String(n).padStart(3)} workers: ${replay(n, true).toFixed(1)} s by part costs, ` +
      `${replay(n, false).toFixed(1)} s by equal shares (work / n ${(work / n).toFixed(1)} s)`,
  );
}
