/**
 * End to end, as a user runs it: `deno task reproduce` in subprocesses (the real task, with its
 * least-privilege flags), checked against the committed quick-profile golden, and run twice in two
 * processes to show the outputs are byte-identical.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { task } from "./tools/task.ts";
import { independentFigures } from "./tools/independent.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";

Deno.test({
  name:
    "quick profile end to end: golden check passes, and two processes give byte-identical outputs",
  async fn() {
    const dirs = ["reports/test-e2e-a", "reports/test-e2e-b"];
    try {
      const runs = await Promise.all(
        dirs.map((d) =>
          task(["reproduce", "--profile", "quick", "--only", "ddpm-ring8", "--out", d, "--ci=true"])
        ),
      );
      for (const r of runs) {
        assert.equal(r.code, 0, `reproduce failed:\n${r.stdout}\n${r.stderr}`);
        assert.match(
          r.stdout,
          /ddpm-ring8\s+\S+s\s+.*mmd2=.*bit-exact/,
          "summary row with a bit-exact golden verdict",
        );
      }
      const [a, b] = dirs.map((d) => join(PROJECT_ROOT, d, "ddpm-ring8"));
      // Everything but timing.json is a function of code, config and seed: byte for byte.
      for (const f of ["metrics.json", "samples.csv", "samples.vl.json", "samples.svg"]) {
        assert.equal(
          await Deno.readTextFile(join(a, f)),
          await Deno.readTextFile(join(b, f)),
          `${f} identical in two processes`,
        );
      }
      assert.equal(
        await Deno.readTextFile(join(a, "samples.csv")),
        await Deno.readTextFile(join(b, "samples.csv")),
      );
      const csv = await Deno.readTextFile(join(a, "samples.csv"));
      assert.ok(csv.startsWith("x,y\n"), "samples.csv header");
      assert.equal(csv.trim().split("\n").length, 1 + 2000, "one row per sample");
      for (
        const f of [
          "index.html",
          "loss.svg",
          "loss.vl.json",
          "forward.svg",
          "reverse.svg",
          "samples.svg",
        ]
      ) {
        assert.ok((await Deno.stat(join(a, f))).size > 0, `${f} written`);
      }
      assert.ok(
        (await Deno.stat(join(PROJECT_ROOT, dirs[0], "index.html"))).isFile,
        "index.html at the --out root",
      );
    } finally {
      for (const d of dirs) {
        await Deno.remove(join(PROJECT_ROOT, d), { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test("5000 samples drawn in one batch of 5000 and in batches of 777: byte-identical samples.csv", async () => {
  const dirs = ["reports/test-batch-5000", "reports/test-batch-777"];
  const set = (f: string) => ["--set", `ddpm-ring8.${f}`];
  try {
    const runs = await Promise.all([5000, 777].map((b, i) =>
      task([
        "reproduce",
        "--profile",
        "quick",
        "--only",
        "ddpm-ring8",
        ...set("train.epochs=3"),
        ...set("sample.samples=5000"),
        ...set("nll.points=10"),
        ...set(`sample.sampleBatch=${b}`),
        "--workers",
        "0",
        "--out",
        dirs[i],
      ])
    ));
    for (const r of runs) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [a, b] = dirs.map((d) =>
      Deno.readTextFileSync(join(PROJECT_ROOT, d, "ddpm-ring8", "samples.csv"))
    );
    assert.equal(a.trim().split("\n").length, 5001, "5000 samples");
    assert.ok(a === b, "samples.csv identical whatever the batch size");
    const m = dirs.map((d) =>
      JSON.parse(Deno.readTextFileSync(join(PROJECT_ROOT, d, "ddpm-ring8", "metrics.json")))
    );
    assert.deepEqual(m[0].metrics, m[1].metrics);
    assert.notEqual(m[0].configHash, m[1].configHash, "the runs' configs did differ");
  } finally {
    for (const d of dirs) {
      await Deno.remove(join(PROJECT_ROOT, d), { recursive: true }).catch(() => {});
    }
  }
});

Deno.test("bad flags and configs exit with code 2 and write nothing", async () => {
  const before = [...Deno.readDirSync(join(PROJECT_ROOT, "reports"))].map((e) => e.name).sort();
  for (
    const args of [
      ["--only", "nope"],
      ["--profile", "fast"],
      ["--set", "ddpm-ring8.train.lr=-1"],
      ["--out", "../outside"],
      ["--shards", "2"],
    ]
  ) {
    const r = await task(["reproduce", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /^error: .+got .+; allowed: /m, args.join(" "));
  }
  const r = await task(["reproduce", "--update-golden", "--only", "ddpm-ring8"]);
  assert.equal(r.code, 2, "update-golden without write access to fixtures/");
  assert.match(r.stderr, /deno task update-golden/);
  assert.deepEqual(
    [...Deno.readDirSync(join(PROJECT_ROOT, "reports"))].map((e) => e.name).sort(),
    before,
  );
});

/**
 * The experiments whose samples.csv the sample-quality metrics are computed from, against a mixture
 * that the independent script knows: every one of the registry that reports the quality figures
 * and trains or samples on such a mixture (read from the registry, so a new one is not forgotten).
 */
const INDEPENDENT_MIXTURES = ["ring8", "three_clusters", "grid25", "mixture1d"];
/** Experiments whose samples.csv is judged against another law than their data set's. */
const OTHER_LAW: Record<string, string> = {
  "forward-chain": "its samples are the chain's state at the last t, judged against the noised law",
};
const WITH_SAMPLES = EXPERIMENTS.filter((e) => {
  const c = e.profiles.quick as Record<string, { dataset?: string } | undefined>;
  const dataset = c.data?.dataset ?? c.target?.dataset ?? c.mixture?.dataset;
  return "mmd2" in e.metrics && "modesCovered" in e.metrics && !(e.name in OTHER_LAW) &&
    INDEPENDENT_MIXTURES.includes(dataset ?? "");
}).map((e) => e.name);

Deno.test("independent check: numpy recomputes every sample metric of every experiment with samples (MMD² to 1e-9)", async () => {
  const out = "reports/test-independent";
  try {
    assert.ok(WITH_SAMPLES.length >= 10, `only ${WITH_SAMPLES.join(", ")}`);
    const r = await task([
      "reproduce",
      "--profile",
      "quick",
      "--only",
      WITH_SAMPLES.join(","),
      "--out",
      out,
      "--ci=true",
    ]);
    assert.equal(r.code, 0, `reproduce failed:\n${r.stdout}\n${r.stderr}`);
    for (const name of WITH_SAMPLES) {
      const f = await independentFigures(join(PROJECT_ROOT, out, name));
      if (!f) return; // skipped outside CI (no python3 or numpy)
      const { ours, theirs } = f;
      for (const k of ["nonFinite", "modesCovered", "modesCoveredStrict"]) {
        assert.equal(ours[k], theirs[k], `${name}: ${k}`);
      }
      for (const k of ["highQualityFraction", "modeKl", "meanLogDensity", "mmd2"]) {
        assert.ok(
          Math.abs(ours[k] - theirs[k]) <= 1e-9,
          `${name}: ${k} ${ours[k]} vs independent ${theirs[k]}`,
        );
      }
    }
  } finally {
    await Deno.remove(join(PROJECT_ROOT, out), { recursive: true }).catch(() => {});
  }
});
