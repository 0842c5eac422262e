/**
 * A run's parts as a graph: parts that need other parts run after them and read their outputs; a
 * bad graph is refused when planned; a failed part fails what needs it; the critical path follows
 * the chains of needs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { descendants, partGraph, partSpan } from "../core/harness/parts.ts";
import type { Experiment, RunContext } from "../core/harness/experiment.ts";
import { costModel, plan, recordCosts, runKey } from "../core/harness/plan.ts";
import { runPlans } from "../core/harness/runner.ts";
import { workSpread } from "../core/harness/finalize.ts";
import { partCheckpointDir } from "../core/harness/checkpoint.ts";
import { rules } from "../core/spec/rules.ts";

Deno.test("part graph: every part after the parts it needs, the declared order otherwise", () => {
  const g = partGraph("x", ["em", "pc", "train", "exact"], { em: ["train"], pc: ["train"] });
  assert.deepEqual(g.order, ["train", "em", "pc", "exact"]);
  assert.deepEqual(g.dependents.train, ["em", "pc"]);
  assert.deepEqual([...descendants(g, "train")].sort(), ["em", "pc"]);
  const chain = partGraph("x", ["c", "b", "a"], { c: ["b"], b: ["a"] });
  assert.deepEqual(chain.order, ["a", "b", "c"]);
  assert.deepEqual([...descendants(chain, "a")].sort(), ["b", "c"]);
  assert.deepEqual(partGraph("x", ["a", "b"]).order, ["a", "b"], "no needs: as declared");
});

Deno.test("part graph: unknown needs, duplicates and circles are refused naming the run and part", () => {
  assert.throws(
    () => partGraph("run1", ["a", "b"], { a: ["z"] }),
    /run1: part "a" needs "z".*\(a, b\)/,
  );
  assert.throws(() => partGraph("run1", ["a", "b"], { q: ["a"] }), /run1: needs are given for "q"/);
  assert.throws(() => partGraph("run1", ["a", "a"]), /run1: part "a" is declared twice/);
  assert.throws(
    () => partGraph("run1", ["a", "b", "c"], { a: ["c"], c: ["b"], b: ["a"] }),
    /run1: parts need each other in a circle \(a -> c -> b -> a\)/,
  );
  assert.throws(() => partGraph("run1", ["a"], { a: ["a"] }), /circle \(a -> a\)/);
});

Deno.test("part span: the longest chain of needs, each part after the last it needs", () => {
  const g = partGraph("x", ["train", "em", "pc", "exact"], { em: ["train"], pc: ["train"] });
  assert.equal(partSpan(g, { train: 10, em: 4, pc: 6, exact: 12 }), 16);
  assert.equal(partSpan(g, { train: 10, em: 4, pc: 6, exact: 17 }), 17);
  const spread = workSpread([{
    name: "x",
    title: "x",
    runId: "",
    folder: "x",
    profile: "quick",
    seed: 0,
    configHash: "",
    wallSeconds: 33,
    partSeconds: { train: 10, em: 4, pc: 6, exact: 12 },
    assemblySeconds: 1,
    partNeeds: { em: ["train"], pc: ["train"] },
    metrics: {},
    headline: [],
    verdict: "ok",
    failing: [],
    samplesSha256: null,
  }]);
  assert.equal(spread.criticalPath.seconds, 17, "train + pc + assembly");
  assert.equal(spread.longestJob.seconds, 12);
});

interface ToyConfig {
  fail: string;
}

/** A toy run: "a" and "c" need nothing, "b" needs "a", "d" needs "b" and "c". */
function toy(): { exp: Experiment<ToyConfig>; calls: string[] } {
  const calls: string[] = [];
  const exp: Experiment<ToyConfig> = {
    name: "toy-parts",
    title: "toy",
    description: "parts with needs",
    seed: 0,
    profiles: { full: { fail: "" }, quick: { fail: "" } },
    schema: { fail: rules.oneOf("", "a", "b", "c", "d") },
    metrics: { total: { description: "sum of the parts' values", gate: { exact: "float64" } } },
    parts: () => ["d", "b", "c", "a"],
    partNeeds: () => ({ b: ["a"], d: ["b", "c"] }),
    async runPart(ctx: RunContext<ToyConfig>, part: string) {
      calls.push(`${part}<-${Object.keys(ctx.parts ?? {}).sort().join(",")}`);
      // "a" trains (say): its last checkpoint must outlive the part until the run is written.
      if (part === "a") await ctx.checkpoints.slot("train")!.save({ step: 1 });
      if (ctx.config.fail === part) throw new Error(`part ${part} broke`);
      const own = { a: 1, b: 10, c: 100, d: 1000 }[part]!;
      const got = Object.values(ctx.parts ?? {}).reduce((s, o) => s + (o.value as number), 0);
      return { value: own + got };
    },
    run(ctx) {
      const total = Object.values(ctx.parts!).reduce((s, o) => s + (o.value as number), 0);
      return Promise.resolve({ metrics: { total }, files: [], charts: [] });
    },
  };
  return { exp, calls };
}

Deno.test("scheduler: a part runs after the parts it needs and reads their outputs; a failure fails what needs it", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "scorelab_parts_" });
  try {
    for (const fail of ["", "b"]) {
      const { exp, calls } = toy();
      const plans = await plan(outDir, [exp], "quick");
      if (fail) (plans[0].config as ToyConfig).fail = fail;
      assert.deepEqual(
        plans[0].parts,
        ["a", "b", "c", "d"],
        "planned in an order that respects needs",
      );
      const [s] = await runPlans(
        plans,
        { outDir, root: outDir, progress: "silent" },
        new Map(),
        null,
        { count: 0 },
        () => 1,
      );
      if (!fail) {
        assert.deepEqual(calls, ["a<-", "b<-a", "c<-", "d<-b,c"]);
        // a = 1, b = 10 + a, c = 100, d = 1000 + b + c: the run sums all four.
        assert.equal(s.metrics.total, 1 + 11 + 100 + 1111);
        assert.deepEqual(s.partNeeds, { a: [], b: ["a"], c: [], d: ["b", "c"] });
        assert.equal(runKey(s), "toy-parts");
        const kept = partCheckpointDir(outDir, "toy-parts", "a");
        await assert.rejects(
          Deno.stat(kept),
          Deno.errors.NotFound,
          "removed once the run is written",
        );
      } else {
        assert.deepEqual(calls, ["a<-", "b<-a", "c<-"], "d never runs: it needs b");
        assert.equal(s.verdict, "failed");
        assert.match(s.error!, /part b: part b broke/);
        assert.match(s.error!, /part d: needs part b, which failed/);
        // The run failed: part a's checkpoint stays, so --resume would not train it again.
        assert.ok((await Deno.stat(partCheckpointDir(outDir, "toy-parts", "a"))).isDirectory);
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("scheduler: parts start longest first by their recorded estimates (a part counts what needs it), an equal share of the run's cost without a usable one", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "scorelab_parts_" });
  try {
    await Deno.mkdir(join(outDir, "fixtures"));
    const order = async (costs: unknown) => {
      await Deno.writeTextFile(join(outDir, "fixtures", "costs.json"), JSON.stringify(costs));
      const { exp, calls } = toy();
      const plans = await plan(outDir, [exp], "quick");
      const { cost, partCost } = await costModel(outDir, plans);
      const o = { outDir, root: outDir, progress: "silent" as const };
      await runPlans(plans, o, new Map(), null, { count: 0 }, cost, partCost);
      return { calls, partCost: (p: string) => partCost(runKey(plans[0]), p) };
    };
    // equal shares of 4 s: a (1 + b 1 + d 1) before c (1 + d 1)
    const shared = await order({ costs: { "toy-parts": { quick: 4 } } });
    assert.deepEqual(shared.calls, ["a<-", "b<-a", "c<-", "d<-b,c"]);
    assert.equal(shared.partCost("a"), undefined);
    // c recorded at 50 s: c (50 + d 1) before a (1 + b 1 + d 1); unusable entries are shares
    const recorded = await order({
      costs: { "toy-parts": { quick: 4 } },
      partCosts: { "toy-parts": { quick: { c: 50, a: 1, b: "x", d: -1 } } },
    });
    assert.deepEqual(recorded.calls, ["c<-", "a<-", "b<-a", "d<-b,c"]);
    assert.deepEqual(["a", "b", "c", "d"].map(recorded.partCost), [1, undefined, 50, undefined]);
    const other = await order({ costs: {}, partCosts: { "toy-parts": { full: { c: 50 } } } });
    assert.equal(other.partCost("c"), undefined, "another profile's estimate is not this one's");
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("recordCosts: measured runs replace their experiment's and parts' estimates (means over seeds, 0.1 s), the rest is kept", () => {
  const before = {
    note: "n",
    costs: { a: { full: 1, quick: 2 }, b: { full: 7 } },
    partCosts: { b: { full: { x: 1 } }, z: { quick: { y: 2 } } },
  };
  const after = recordCosts(before, [
    { name: "a", profile: "quick", wallSeconds: 3.04, partSeconds: { p: 1, q: 0.5 } },
    { name: "a", profile: "quick", wallSeconds: 4.96, partSeconds: { p: 2, q: 0.5 } },
    { name: "b", profile: "full", wallSeconds: 12.34 },
    { name: "c", profile: "full", wallSeconds: 0.01 },
  ]);
  assert.deepEqual(after, {
    note: "n",
    costs: { a: { full: 1, quick: 4 }, b: { full: 12.3 }, c: { full: 0.1 } },
    partCosts: { a: { quick: { p: 1.5, q: 0.5 } }, b: {}, z: { quick: { y: 2 } } },
  });
  assert.deepEqual(before.costs.a, { full: 1, quick: 2 }, "the input is not changed");
  const partsOnly = recordCosts(before, [{
    name: "a",
    profile: "quick",
    wallSeconds: 9,
    partSeconds: { p: 3 },
  }], { partsOnly: true });
  assert.deepEqual(partsOnly.costs, before.costs);
  assert.deepEqual(partsOnly.partCosts!.a, { quick: { p: 3 } });
});
