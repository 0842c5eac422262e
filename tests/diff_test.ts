/** `deno task diff`: the quality rule on two single runs, real goldens against edited sites, bad input. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { compareMetric } from "../core/harness/diff.ts";
import { readGolden } from "../core/harness/golden.ts";
import { task } from "./tools/task.ts";

Deno.test("compareMetric: seed noise, direction, exact bands, reported", () => {
  const spread = [0.01, 0.012, 0.011, 0.009, 0.013, 0.01, 0.011, 0.012, 0.009, 0.01];
  const lower = { kind: "seeds", better: "lower" } as const;
  assert.equal(compareMetric(lower, 0.01, 0.011, spread).verdict, "within seed noise");
  assert.equal(compareMetric(lower, 0.01, 0.03, spread).verdict, "regressed");
  assert.equal(compareMetric(lower, 0.03, 0.01, spread).verdict, "improved");
  assert.equal(
    compareMetric({ kind: "seeds", better: "higher" }, 0.01, 0.03, spread).verdict,
    "improved",
  );
  assert.equal(compareMetric(lower, 0.01, 0.03).verdict, "no seed spread");
  const f32 = { kind: "exact", precision: "float32" } as const;
  assert.equal(compareMetric(f32, 1, 1 + 1e-7).verdict, "same");
  assert.equal(compareMetric(f32, 1, 1 + 1e-3).verdict, "changed");
  assert.equal(compareMetric({ kind: "report" }, 1, 2).verdict, "reported");
  assert.equal(compareMetric(lower, 0.5, 0.5, spread).verdict, "same");
});

/** A minimal report site holding one experiment's run. */
async function site(dir: string, run: Record<string, unknown>): Promise<void> {
  await Deno.mkdir(join(PROJECT_ROOT, dir), { recursive: true });
  await Deno.writeTextFile(
    join(PROJECT_ROOT, dir, "summary.json"),
    JSON.stringify({ profile: run.profile, experiments: [{ folder: run.name, ...run }] }),
  );
}

Deno.test("diff: the goldens against an edited run flags the regression; bad input exits 2", async () => {
  const g = await readGolden(
    join(PROJECT_ROOT, "fixtures", "golden", "ddpm-ring8.quick.json"),
    "ddpm-ring8",
    "quick",
  );
  const run = g!.runs.find((r) => r.seed === g!.seed)!;
  const base = { name: "ddpm-ring8", profile: "quick", seed: run.seed };
  const dirs = ["reports/test-diff-same", "reports/test-diff-worse", "reports/test-diff-full"];
  try {
    const outputs = run.outputsSha256;
    await site(dirs[0], {
      ...base,
      metrics: run.metrics,
      samplesSha256: run.samplesSha256,
      outputsSha256: outputs,
    });
    await site(dirs[1], {
      ...base,
      metrics: { ...run.metrics, mmd2: run.metrics.mmd2 * 10 },
      samplesSha256: "0".repeat(64),
      outputsSha256: { ...outputs, "chart loss": "0".repeat(64) },
    });
    await site(dirs[2], { ...base, profile: "full", metrics: run.metrics, samplesSha256: null });

    const same = await task(["diff", "fixtures/golden", dirs[0], "--out", "reports/test-diff"]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /ddpm-ring8 \(quick, seeds 0 → 0\) · samples bit-exact/);
    assert.match(same.stdout, /every gated metric the same/);
    assert.doesNotMatch(same.stdout, /outputs whose sha256 differs/);
    const md = await Deno.readTextFile(join(PROJECT_ROOT, "reports/test-diff/summary.md"));
    assert.equal(md.trim(), same.stdout.trim());
    const html = await Deno.readTextFile(join(PROJECT_ROOT, "reports/test-diff/index.html"));
    assert.match(html, /What changed/);

    const worse = await task(["diff", dirs[0], dirs[1], "--out", "reports/test-diff"]);
    assert.equal(worse.code, 0, worse.stderr);
    assert.match(worse.stdout, /1 metric\(s\) regressed beyond seed noise/);
    assert.match(worse.stdout, /outputs whose sha256 differs: chart loss\n/);
    assert.match(
      worse.stdout,
      /\| `mmd2` \| [0-9.e-]+ \| [0-9.e-]+ \| [0-9.e-]+ \| \*\*regressed\*\* \|/,
    );

    const bad: [string[], RegExp][] = [
      [["reports/test-diff-nope", dirs[0]], /reports\/test-diff-nope: .*an existing folder/],
      [["core", dirs[0]], /core: .*a report site \(with summary\.json\) or a folder of goldens/],
      [[dirs[0]], /two folders, A and B/],
      [[dirs[0], dirs[2]], /ddpm-ring8 at profile full.*runs of the same profile/],
      [["/etc", dirs[0]], /outside the folders this task may read/],
    ];
    for (const [args, msg] of bad) {
      const r = await task(["diff", ...args, "--out", "reports/test-diff"]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg, args.join(" "));
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  } finally {
    for (const d of [...dirs, "reports/test-diff"]) {
      await Deno.remove(join(PROJECT_ROOT, d), { recursive: true }).catch(() => {});
    }
  }
});
