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
import { renewGoldens } from "../core/harness/renew.ts";
import { type Golden, readGolden, sealGolden } from "../core/harness/golden.ts";
import { initBackend } from "../core/runtime/backend.ts";

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
