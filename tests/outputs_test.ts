/**
 * The outputs a golden holds besides metrics and samples (`core/harness/outputs.ts`): a chart's
 * data moves its digest and its styling does not; timing charts and samples.csv stay out; files
 * and details are in.
 */
import assert from "node:assert/strict";
import { chartData, outputDigests } from "../core/harness/outputs.ts";
import type { RunOutput } from "../core/harness/experiment.ts";
import { movedOutputs } from "../core/harness/renew.ts";
import type { Golden } from "../core/harness/golden.ts";

const spec = (values: unknown[], color = "#333") => ({
  layer: [
    { data: { values: [{ x: 0, y: 0 }] }, mark: { type: "rule", color } },
    { data: { values }, mark: "point", encoding: { x: { field: "x" } } },
  ],
});

const run = (o: Partial<RunOutput> = {}): RunOutput => ({
  metrics: { m: 1 },
  charts: [
    { name: "samples", title: "", caption: "", spec: spec([{ x: 1, y: 2 }]) },
    { name: "speed", title: "", caption: "", spec: spec([{ ms: 3 }]), timing: true },
  ],
  files: [{ name: "samples.csv", content: "x,y\n1,2\n" }, {
    name: "chains.csv",
    content: "a\n1\n",
  }],
  details: { perMode: [1, 2] },
  ...o,
});

Deno.test("chartData: every values array, in the spec's order, nothing else", () => {
  assert.deepEqual(chartData(spec([{ x: 1 }])), [[{ x: 0, y: 0 }], [{ x: 1 }]]);
  assert.deepEqual(
    chartData({ mark: "point", encoding: { x: { scale: { domain: [0, 1] } } } }),
    [],
  );
});

Deno.test("outputDigests: files but samples.csv, charts' data but timing charts, details", async () => {
  const base = await outputDigests(run());
  assert.deepEqual(Object.keys(base).sort(), ["chains.csv", "chart samples", "details"]);
  for (const h of Object.values(base)) assert.match(h, /^[0-9a-f]{64}$/);
  const moved = (o: Partial<RunOutput>) =>
    outputDigests(run(o)).then((d) =>
      Object.keys({ ...base, ...d }).filter((k) => d[k] !== base[k]).sort()
    );
  // One float32 ulp in a chart's data is a change; its colour is not.
  const ulp = Math.fround(2) + 2 ** -22;
  const chart = (values: unknown[], color?: string) => ({
    name: "samples",
    title: "",
    caption: "",
    spec: spec(values, color),
  });
  assert.deepEqual(await moved({ charts: [chart([{ x: 1, y: ulp }])] }), ["chart samples"]);
  assert.deepEqual(await moved({ charts: [chart([{ x: 1, y: 2 }], "red")] }), []);
  // The timing chart measures the machine: it is not hashed.
  const slower = { name: "speed", title: "", caption: "", spec: spec([{ ms: 9 }]), timing: true };
  assert.deepEqual(await moved({ charts: [run().charts[0], slower] }), []);
  // samples.csv has its own sha256; every other file, and the details, are here.
  const files = (samples: string, chains: string) => [
    { name: "samples.csv", content: samples },
    { name: "chains.csv", content: chains },
  ];
  assert.deepEqual(await moved({ files: files("x,y\n9,9\n", "a\n1\n") }), []);
  assert.deepEqual(await moved({ files: files("x,y\n1,2\n", "a\n2\n") }), ["chains.csv"]);
  assert.deepEqual(await moved({ details: { perMode: [2, 1] } }), ["details"]);
  assert.deepEqual(await moved({ details: {} }), ["details"], "details gone");
  // Two outputs of one name would overwrite each other: refused.
  const twice = run({ files: [...run().files, { name: "chains.csv", content: "b\n" }] });
  await assert.rejects(outputDigests(twice), /two outputs named "chains\.csv"/);
  const charts = [...run().charts, run().charts[0]];
  await assert.rejects(outputDigests(run({ charts })), /two outputs named "chart samples"/);
});

Deno.test("a renewal lists each output whose sha256 moved, with its seeds", () => {
  const golden = (runs: [string, Record<string, string>][]): Golden => ({
    format: 4,
    experiment: "x",
    profile: "quick",
    seed: 0,
    configHash: "h",
    gates: {},
    runs: runs.map(([samplesSha256, outputsSha256], seed) => ({
      seed,
      metrics: {},
      samplesSha256,
      outputsSha256,
    })),
    renewal: { reason: null, quality: "" },
    contentSha256: "",
  });
  const old = golden([["s0", { "chart a": "a0", d: "d0" }], ["s1", { "chart a": "a1", d: "d1" }]]);
  assert.deepEqual(movedOutputs(old, old), []);
  assert.deepEqual(movedOutputs(null, old), [], "no old golden: nothing to compare");
  const fresh = golden([["s0", { "chart a": "A0", d: "d0" }], ["S1", {
    "chart a": "A1",
    e: "e1",
  }]]);
  assert.deepEqual(movedOutputs(old, fresh), [
    "  chart a: sha256 changed on seeds 0, 1",
    "  samples.csv: sha256 changed on seed 1",
    "  d: sha256 changed on seed 1",
    "  e: sha256 changed on seed 1",
  ]);
});
