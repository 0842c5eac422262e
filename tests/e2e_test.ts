/**
 * End to end, as a user runs it: `deno task reproduce` in subprocesses (the real task, with its
 * least-privilege flags), checked against the committed quick-profile golden, and run twice in two
 * processes to show the outputs are byte-identical.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/harness/cli.ts";
import { task } from "./tools/task.ts";

function withoutTiming(metricsJson: string): unknown {
  const m = JSON.parse(metricsJson);
  delete m.timing;
  return m;
}

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
      assert.deepEqual(
        withoutTiming(await Deno.readTextFile(join(a, "metrics.json"))),
        withoutTiming(await Deno.readTextFile(join(b, "metrics.json"))),
      );
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
      await independentCheck(join(a, "samples.csv"), join(a, "metrics.json"), "ring8");
    } finally {
      for (const d of dirs) {
        await Deno.remove(join(PROJECT_ROOT, d), { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test("bad flags and configs exit with code 2 and write nothing", async () => {
  const before = [...Deno.readDirSync(join(PROJECT_ROOT, "reports"))].map((e) => e.name).sort();
  for (
    const args of [
      ["--only", "nope"],
      ["--profile", "fast"],
      ["--set", "ddpm-ring8.lr=-1"],
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
 * The metrics recomputed from samples.csv by an independent implementation (Python + numpy, own
 * code and random numbers): coverage figures must agree exactly, MMD² up to reference noise.
 */
async function independentCheck(samples: string, metricsJson: string, mixture: string) {
  let out;
  try {
    out = await new Deno.Command("/usr/bin/python3", {
      args: [join(PROJECT_ROOT, "tests/independent/check_samples.py"), samples, mixture],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    console.warn("SKIPPED independent metric check: /usr/bin/python3 not found");
    return;
  }
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success && /No module named 'numpy'/.test(err)) {
    console.warn("SKIPPED independent metric check: numpy missing (apt-get install python3-numpy)");
    return;
  }
  assert.ok(out.success, err);
  const theirs = JSON.parse(new TextDecoder().decode(out.stdout));
  const ours = JSON.parse(await Deno.readTextFile(metricsJson)).metrics;
  for (const k of ["modesCovered", "modesCoveredStrict", "highQualityFraction"]) {
    assert.equal(ours[k], theirs[k], k);
  }
  assert.ok(Math.abs(ours.modeKl - theirs.modeKl) < 1e-9, "modeKl");
  assert.ok(Math.abs(ours.meanLogDensity - theirs.meanLogDensity) < 1e-5, "meanLogDensity");
  assert.ok(
    Math.abs(ours.mmd2 - theirs.mmd2) < 0.01,
    `mmd2 ${ours.mmd2} vs independent ${theirs.mmd2}`,
  );
}
