/**
 * update-golden (`core/harness/renew.ts`) in a scratch project root: a renewal of unchanged code
 * writes back the committed golden bit for bit (every seed's metrics, samples and outputs, and the
 * sensitivity figures measured on its degraded samples); a renewal whose quality regressed against
 * the old golden is refused without `--reason` and leaves the file alone, and with it is written
 * and keeps the reason; a gated metric gone and a changed config are named.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import { judgeRenewal, nonFiniteFigures, renewGoldens } from "../core/harness/renew.ts";
import { type Golden, readGolden, sealGolden } from "../core/harness/golden.ts";
import { initBackend } from "../core/runtime/backend.ts";
import { syntheticGolden } from "./helpers.ts";

/** A scratch root holding the experiment's quick golden (as `edit` leaves it) and costs.json. */
async function scratchRoot(name: string, edit?: (g: Golden) => void): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "scorelab-renew-" });
  await Deno.mkdir(join(root, "fixtures", "golden"), { recursive: true });
  await Deno.copyFile(
    join(PROJECT_ROOT, "fixtures", "costs.json"),
    join(root, "fixtures", "costs.json"),
  );
  const file = `${name}.quick.json`;
  const g = JSON.parse(
    await Deno.readTextFile(join(PROJECT_ROOT, "fixtures", "golden", file)),
  ) as Golden;
  edit?.(g);
  const { contentSha256: _, ...content } = g;
  await Deno.writeTextFile(
    join(root, "fixtures", "golden", file),
    JSON.stringify(edit ? await sealGolden(content) : g, null, 2) + "\n",
  );
  return root;
}

const renew = (root: string, name: string, reason?: string) =>
  renewGoldens({
    root,
    outDir: join(root, "reports"),
    experiments: EXPERIMENTS.filter((e) => e.name === name),
    profiles: ["quick"],
    reason,
    progress: "silent",
    print: false,
  });

const goldenIn = (root: string, name: string) =>
  join(root, "fixtures", "golden", `${name}.quick.json`);

Deno.test("update-golden on unchanged code writes back the committed golden: every seed's metrics, samples, outputs and sensitivity figures", async () => {
  await initBackend();
  const name = "ring-demo";
  const root = await scratchRoot(name);
  try {
    const old = (await readGolden(goldenIn(root, name), name, "quick"))!;
    assert.ok(old.runs.every((r) => r.sensitivity), "the committed golden has sensitivity figures");
    const r = await renew(root, name);
    assert.equal(r.exitCode, 0, JSON.stringify(r.renewed.map((x) => x.quality)));
    assert.equal(r.renewed[0].verdict, "written");
    assert.match(r.renewed[0].quality, /^single run ok, sweep ok$/);
    const fresh = (await readGolden(goldenIn(root, name), name, "quick"))!;
    assert.deepEqual(fresh.runs, old.runs, "every seed bit for bit, degradations included");
    assert.deepEqual(fresh.gates, old.gates);
    assert.equal(fresh.configHash, old.configHash);
    assert.equal(fresh.renewal.reason, null, "no reason needed, none recorded");
    assert.doesNotMatch(r.renewed[0].table, /sha256 changed/, "no output moved");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("update-golden refuses a regression without --reason (file untouched), writes it with one, and names a gated metric gone and a changed config", async () => {
  await initBackend();
  const name = "latent-interpolation";
  const metric = "hqFraction_slerp"; // seed-gated, higher is better
  // An old golden far better than the code can reach: the renewal regresses against it.
  const better = (g: Golden) => g.runs.forEach((r) => r.metrics[metric] += 0.5);
  const root = await scratchRoot(name, better);
  try {
    const before = await Deno.readTextFile(goldenIn(root, name));
    const refused = await renew(root, name);
    assert.equal(refused.exitCode, 1);
    assert.equal(refused.renewed[0].verdict, "refused");
    assert.match(refused.renewed[0].quality, new RegExp(`^regressed \\(${metric}\\)`));
    assert.match(refused.renewed[0].table, new RegExp(`${metric} .*REGRESSED`));
    assert.equal(await Deno.readTextFile(goldenIn(root, name)), before, "the file is untouched");

    const reason = "the old figures were edited upwards for this test";
    const written = await renew(root, name, reason);
    assert.equal(written.exitCode, 0);
    const g = (await readGolden(goldenIn(root, name), name, "quick"))!;
    assert.equal(g.renewal.reason, reason);
    assert.match(g.renewal.quality, /^regressed/);
    // The code's own figures now: the edited values are gone.
    const committed = JSON.parse(
      await Deno.readTextFile(join(PROJECT_ROOT, "fixtures", "golden", `${name}.quick.json`)),
    ) as Golden;
    assert.deepEqual(g.runs, committed.runs);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  // A gated metric the code no longer reports is a regression; a config change is named.
  const ghost = await scratchRoot(name, (g) => {
    g.gates.ghost = { kind: "seeds", better: "lower" };
    g.runs.forEach((r, i) => r.metrics.ghost = 1 + i / 10);
    g.configHash = "0".repeat(64);
  });
  try {
    const r = await renew(ghost, name);
    assert.equal(r.renewed[0].verdict, "refused");
    assert.match(r.renewed[0].quality, /regressed \(.*ghost.*\); .*config changed/);
  } finally {
    await Deno.remove(ghost, { recursive: true });
  }
});

/** A golden of seeds 0..9 of one higher-is-better metric `m` (default seed 0). */
const seedsGolden = (values: number[]): Golden =>
  syntheticGolden(
    { m: { kind: "seeds", better: "higher" } },
    values.map((m, seed) => ({
      seed,
      metrics: { m },
      samplesSha256: `s${seed}-${m}`,
      outputsSha256: {},
    })),
  );

Deno.test("a renewal is judged by both gates: the default seed alone, and the sweep's mean alone", () => {
  const old = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.15, 0.85, 1.02, 0.98];
  assert.equal(judgeRenewal(seedsGolden(old), seedsGolden(old)).regressed, false, "unchanged");
  // The default seed far below every old seed, the other nine as before: the sweep's mean moves
  // by less than its spread, so only the single-run gate sees it.
  const single = judgeRenewal(seedsGolden(old), seedsGolden([0, ...old.slice(1)]));
  assert.equal(single.regressed, true);
  assert.match(single.summary, /^single run regressed, sweep ok/);
  // Every seed but the default one lower by 1.5 sd: only the sweep's Welch test sees it.
  const sweep = judgeRenewal(
    seedsGolden(old),
    seedsGolden(old.map((v, i) => i === 0 ? v : v - 0.13)),
  );
  assert.equal(sweep.regressed, true);
  assert.match(sweep.summary, /^single run ok, sweep regressed/);
  assert.ok(sweep.checks.every((c) => c.rule.startsWith("sweep: ")));
});

Deno.test("a golden holds finite numbers only: NaN and both infinities are named with their seeds", () => {
  assert.deepEqual(
    nonFiniteFigures([
      { seed: 0, metrics: { a: 1, b: NaN } },
      { seed: 3, metrics: { a: Infinity, b: -Infinity } },
      { seed: 4 },
    ]),
    ["seed 0: b = NaN", "seed 3: a = Infinity", "seed 3: b = -Infinity"],
  );
});
