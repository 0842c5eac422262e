import assert from "node:assert/strict";
import { join } from "node:path";
import { checkRule, ConfigError, type Rule, validateConfig } from "../core/spec/rules.ts";
import { parseCli, PROJECT_ROOT } from "../core/harness/cli.ts";
import { costModel, partition, type Plan, plan, runKey } from "../core/harness/plan.ts";
import { partGroups, shardWork } from "../core/harness/shard.ts";
import { stageDirectory, tempFilesInFlight, writeFileAtomic } from "../core/runtime/io.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import { createProgress } from "../core/harness/progress.ts";
import { ddpmRing8 } from "../experiments/ddpm_ring8.ts";
import { ddpmRing8Improved } from "../experiments/ddpm_ring8_improved.ts";
import { derive, type Patch } from "../core/spec/section.ts";

const quick = ddpmRing8.profiles.quick;
const validate = (c: unknown) =>
  validateConfig("ddpm-ring8", ddpmRing8.schema, ddpmRing8.checks ?? [], c);

Deno.test("ddpm-ring8-improved's larger training set is checked under its own fields", () => {
  const e = ddpmRing8Improved;
  const check = (patch: Patch<typeof e.profiles.full>) =>
    validateConfig(e.name, e.schema, e.checks ?? [], derive(e.profiles.full, patch));
  assert.throws(
    () => check({ improved: { trainSize: 100 } }),
    /ddpm-ring8-improved\.improved\.trainSize: got 100; allowed: an integer >= train\.batchSize \(256\)/,
  );
  assert.throws(
    () => check({ improved: { epochs: 900000 } }),
    /ddpm-ring8-improved\.improved\.epochs: got 900000; allowed: an integer <= 526315/,
  );
  assert.deepEqual(check({}), e.profiles.full);
});

Deno.test("config validation names the field and the allowed values", () => {
  const cases: [Patch<typeof quick>, RegExp][] = [
    [
      { train: { epochs: 0 } },
      /ddpm-ring8\.train\.epochs: got 0; allowed: an integer in \[1, 1000000\]/,
    ],
    [
      { train: { lr: -1e-3 } },
      /ddpm-ring8\.train\.lr: got -0\.001; allowed: a learning rate: a finite number > 0/,
    ],
    [
      { chain: { betaEnd: 1 } },
      /ddpm-ring8\.chain\.betaEnd: got 1; allowed: a per-step noise rate/,
    ],
    [
      { model: { hidden: [128, , 128] as number[] } },
      /ddpm-ring8\.model\.hidden\[1\]: got nothing/,
    ],
    [
      { train: { epochs: 900000 } },
      /ddpm-ring8\.train\.epochs: got 900000; allowed: an integer <= 526315/,
    ],
    [{ train: { lr: NaN } }, /ddpm-ring8\.train\.lr: got NaN/],
    [{ chain: { T: 0 } }, /ddpm-ring8\.chain\.T: got 0; allowed: an integer in \[2, 10000\]/],
    [
      { train: { batchSize: 6000 } },
      /ddpm-ring8\.train\.batchSize: got 6000; allowed: an integer <= data\.trainSize \(5000\)/,
    ],
    [
      { data: { dataset: "ring9" as never } },
      /ddpm-ring8\.data\.dataset: got "ring9"; allowed: one of "ring8"/,
    ],
    [{ sample: { variance: "fixed" as never } }, /allowed: one of "beta", "posterior"/],
    [
      { train: { epochs: "10" as never } },
      /ddpm-ring8\.train\.epochs: got "10"; allowed: an integer/,
    ],
    [
      { chain: { betaStart: 0.05 } },
      /ddpm-ring8\.chain\.betaEnd: got 0\.02; allowed: a number > betaStart/,
    ],
    [{ model: { hidden: [128, -1] } }, /ddpm-ring8\.model\.hidden\[1\]: got -1/],
    [
      { figures: { steps: [0, 250] } },
      /ddpm-ring8\.figures\.steps: .*time indices in \[0, 199\]/,
    ],
    [{ quality: { referenceSize: 1 } }, /quality\.referenceSize: got 1/],
    [
      { epochz: 3 } as never,
      /ddpm-ring8\.epochz: got 3; allowed: no such field; known fields: data, chain, model, train/,
    ],
  ];
  for (const [patch, msg] of cases) {
    assert.throws(() => validate(derive(quick, patch)), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `ConfigError for ${JSON.stringify(patch)}`);
      assert.match(e.message, msg);
      return true;
    });
  }
  const missing = structuredClone(quick) as unknown as { train: Record<string, unknown> };
  delete missing.train.lr;
  assert.throws(
    () => validate(missing),
    /ddpm-ring8\.train\.lr: got nothing \(the field is missing\)/,
  );
  assert.deepEqual(validate(structuredClone(quick)), quick);
});

Deno.test("each rule's edges are where it says: inclusive bounds accepted, exclusive ones and one step beyond refused", () => {
  const ok = (rule: Rule, v: unknown) => checkRule(rule, v, "f");
  const no = (rule: Rule, v: unknown) =>
    assert.throws(() => checkRule(rule, v, "f"), ConfigError, `${JSON.stringify(rule)}: ${v}`);
  const int: Rule = { type: "int", min: 2, max: 10 };
  ok(int, 2), ok(int, 10), no(int, 1), no(int, 11), no(int, 2.5), no(int, 2 ** 53);
  const closed: Rule = { type: "number", min: 0, max: 1 };
  ok(closed, 0), ok(closed, 1), no(closed, -1e-300), no(closed, 1 + 2 ** -52);
  const open: Rule = { type: "number", min: 0, max: 1, exclusiveMin: true, exclusiveMax: true };
  ok(open, 1e-300), ok(open, 1 - 2 ** -53), no(open, 0), no(open, 1);
  const list: Rule = { type: "list", of: int, minLength: 1, maxLength: 3 };
  ok(list, [2]), ok(list, [2, 3, 10]), no(list, []), no(list, [2, 3, 4, 5]), no(list, [2, 11]);
  // Every bounded rule of every experiment accepts its own bounds.
  const walk = (rule: Rule): void => {
    if (rule.type === "int" || rule.type === "number") {
      const r = rule as {
        min?: number;
        max?: number;
        exclusiveMin?: boolean;
        exclusiveMax?: boolean;
      };
      if (r.min !== undefined && !r.exclusiveMin) ok(rule, r.min);
      if (r.max !== undefined && !r.exclusiveMax) ok(rule, r.max);
    } else if (rule.type === "list") walk(rule.of);
    else if (rule.type === "object") Object.values(rule.fields).forEach(walk);
  };
  for (const e of EXPERIMENTS) walk({ type: "object", fields: e.schema as Record<string, Rule> });
});

Deno.test("every experiment's profiles pass their own validation", () => {
  for (const e of EXPERIMENTS) {
    for (const p of ["full", "quick"] as const) {
      validateConfig(e.name, e.schema, e.checks ?? [], structuredClone(e.profiles[p]));
    }
  }
});

Deno.test("CLI flags: bad values are refused naming the flag and the allowed values", () => {
  const bad: [string[], RegExp][] = [
    [["--only", "ddpm-ring9"], /--only: got "ddpm-ring9"; allowed: experiment names: ddpm-ring8/],
    [["--profile", "fast"], /--profile: got "fast"; allowed: full, quick/],
    [
      ["--seed", "-1"],
      /--seed: got "-1"; allowed: a value; one starting with '-' must be written --seed=VALUE/,
    ],
    [["--seed=-1"], /--seed: got "-1"; allowed: an integer in \[0, 2147483647\]/],
    [["--profile"], /--profile: got nothing .*allowed: a value after the flag/],
    [["quick"], /command line: got "quick"; allowed: flags only/],
    [["--seed", "1.5"], /--seed/],
    [["--out", "/tmp/x"], /--out: .*a folder under reports\//],
    [["--out", "reports/../fixtures"], /--out/],
    [["--out", "../reports"], /--out/],
    [["--shards", "1/3"], /flag --shards: .*allowed: one of --only, --profile/],
    [["--set", "ddpm-ring8"], /--set/],
    [["--set", "nope.train.epochs=1"], /--set: .*experiment one of ddpm-ring8/],
  ];
  for (const [args, msg] of bad) {
    assert.throws(() => parseCli(args, EXPERIMENTS), msg, args.join(" "));
  }
  const ok = parseCli([
    "--only",
    "ddpm-ring8",
    "--profile",
    "quick",
    "--seed",
    "3",
    "--out",
    "reports/x",
    "--set",
    "ddpm-ring8.train.epochs=2",
  ], EXPERIMENTS);
  assert.equal(ok.profile, "quick");
  assert.equal(ok.seed, 3);
  assert.equal(ok.outDir, join(PROJECT_ROOT, "reports", "x"));
  assert.deepEqual(ok.overrides, { "ddpm-ring8": { "train.epochs": 2 } });
});

Deno.test("--set overrides are validated before any work", async () => {
  const run = (overrides: Record<string, Record<string, unknown>>) =>
    plan(PROJECT_ROOT, EXPERIMENTS, "quick", { overrides });
  await assert.rejects(run({ "ddpm-ring8": { "train.lr": -1 } }), /ddpm-ring8\.train\.lr: got -1/);
  await assert.rejects(run({ "ddpm-ring8": { "quality.nope": 1 } }), /quality\.nope/);
  const [p] = await run({ "ddpm-ring8": { "train.epochs": 2 } });
  assert.equal((p.config as typeof quick).train.epochs, 2);
  assert.equal(p.overridden, true);
});

Deno.test("--sweep plans one run per seed of the golden distribution, each with its own folder", async () => {
  const plans = await plan(PROJECT_ROOT, EXPERIMENTS, "quick", { sweep: true });
  for (const e of EXPERIMENTS) {
    const mine = plans.filter((p) => p.exp === e);
    assert.deepEqual(mine.map((p) => p.seed), [...Array(e.seeds?.quick ?? 10).keys()]);
    assert.ok(mine.length >= 10, `${e.name}: at least 10 quick seeds`);
    assert.ok(mine.every((p) => p.goldenFile.endsWith(`fixtures/golden/${e.name}.quick.json`)));
  }
  const ring = plans.filter((p) => p.exp.name === "ddpm-ring8");
  assert.equal(ring[3].folder, "ddpm-ring8/runs/seed-3");
  assert.equal(ring[3].runId, "seed-3");
  assert.equal(new Set(plans.map(runKey)).size, plans.length, "run keys are unique");
  const full = await plan(PROJECT_ROOT, EXPERIMENTS, "full", { sweep: true });
  for (const e of EXPERIMENTS) {
    assert.ok(full.filter((p) => p.exp === e).length >= 5, `${e.name}: at least 5 full seeds`);
  }
  await assert.rejects(
    plan(PROJECT_ROOT, EXPERIMENTS, "quick", { sweep: true, seed: 4 }),
    /--seed: got 4; allowed: no --seed with --sweep/,
  );
});

Deno.test("partition: every run in exactly one shard, balanced by cost, deterministic", () => {
  const keys = Array.from({ length: 23 }, (_, i) => `run-${i}`);
  const cost = (k: string) => 1 + (Number(k.slice(4)) * 7919) % 13;
  for (const n of [1, 2, 3, 5, 23, 30]) {
    const shards = partition(keys, cost, n);
    assert.equal(shards.length, n);
    assert.deepEqual(shards.flat().sort(), [...keys].sort(), `n=${n}: a partition`);
    assert.deepEqual(partition(keys, cost, n), shards, "deterministic");
    for (const s of shards) {
      assert.deepEqual(s, keys.filter((k) => s.includes(k)), "plan order within a shard");
    }
    // Greedy longest-first: no shard exceeds the mean load by more than the largest run.
    const loads = shards.map((s) => s.reduce((a, k) => a + cost(k), 0));
    const mean = keys.reduce((a, k) => a + cost(k), 0) / n;
    assert.ok(Math.max(...loads) <= mean + 13, `n=${n}: loads ${loads}`);
  }
});

Deno.test("shardWork: every run whole in one shard or each part in one, groups kept, long runs split", () => {
  // Runs r0..r9; r0 has 6 independent parts, r1 a training and three samplers that need it plus an
  // independent part (2 groups), r2 two parts that need each other in a chain (1 group).
  const mk = (i: number, parts: string[] = [], needs: Record<string, string[]> = {}) =>
    ({ exp: { name: `r${i}` }, runId: "", folder: `r${i}`, parts, needs }) as unknown as Plan;
  const plans = [
    mk(0, ["a", "b", "c", "d", "e", "f"]),
    mk(1, ["train", "s1", "s2", "s3", "other"], { s1: ["train"], s2: ["train"], s3: ["train"] }),
    mk(2, ["x", "y"], { y: ["x"] }),
    // Part names that would join into one another's (a group named by its parts, joined).
    mk(10, ["a,b", "a", "b"], { b: ["a"] }),
    ...Array.from({ length: 7 }, (_, i) => mk(i + 3)),
  ];
  assert.deepEqual(partGroups(plans[1]), [["train", "s1", "s2", "s3"], ["other"]]);
  assert.deepEqual(partGroups(plans[2]), [["x", "y"]]);
  const costs: Record<string, number> = { r0: 60, r1: 40, r2: 30, r10: 45 };
  const cost = (k: string) => costs[k] ?? 3 + Number(k.slice(1));
  const partCost = (k: string, part: string) => (k === "r1" && part === "train" ? 20 : undefined);
  const total = plans.reduce((a, p) => a + cost(runKey(p)), 0);
  for (const n of [1, 2, 3, 4, 8, 16]) {
    const work = shardWork(plans, cost, partCost, n);
    assert.equal(work.length, n);
    assert.deepEqual(shardWork(plans, cost, partCost, n), work, "deterministic");
    for (const p of plans) {
      const key = runKey(p);
      const whole = work.filter((w) => w.runs.includes(key)).length;
      const parts = work.flatMap((w) => w.parts.get(key) ?? []);
      if (whole) {
        assert.equal(whole, 1, `n=${n}: ${key} whole in one shard`);
        assert.equal(parts.length, 0, `n=${n}: ${key} whole and split`);
      } else {
        assert.deepEqual(
          [...parts].sort(),
          [...p.parts].sort(),
          `n=${n}: ${key}'s parts once each`,
        );
        assert.ok(cost(key) > total / n, `n=${n}: ${key} split though within a shard's share`);
        for (const group of partGroups(p)) {
          const holders = work.filter((w) => group.some((q) => w.parts.get(key)?.includes(q)));
          assert.equal(holders.length, 1, `n=${n}: ${key}'s group ${group} in one shard`);
        }
      }
    }
    if (n === 1) assert.equal(work[0].parts.size, 0, "one shard splits nothing");
  }
  // Four shards: r0 (60 of 218) is split, and no shard carries it whole.
  const four = shardWork(plans, cost, partCost, 4);
  assert.ok(four.every((w) => !w.runs.includes("r0")));
  assert.ok(four.filter((w) => w.parts.has("r0")).length >= 2, "r0 spread over shards");
});

Deno.test("sixteen shards of the full plan: no shard waits on one long run (recorded costs)", async () => {
  const plans = await plan(PROJECT_ROOT, EXPERIMENTS, "full");
  const { cost, partCost } = await costModel(PROJECT_ROOT, plans);
  const load = (w: ReturnType<typeof shardWork>[number]) =>
    w.runs.reduce((a, k) => a + cost(k), 0) +
    [...w.parts].reduce(
      (a, [k, parts]) =>
        a + parts.reduce((b, q) => b + (partCost(k, q) ?? cost(k) / parts.length), 0),
      0,
    );
  const loads = shardWork(plans, cost, partCost, 16).map(load);
  const longest = Math.max(...plans.map((p) => cost(runKey(p))));
  assert.ok(
    Math.max(...loads) < longest / 2,
    `the heaviest of 16 shards carries ${
      Math.max(...loads).toFixed(1)
    } s, the longest run ${longest} s`,
  );
});

Deno.test("--shard flags: i/n (1-based) or --shard-index/--shard-count (0-based), validated", () => {
  assert.deepEqual(parseCli(["--shard", "2/3"], EXPERIMENTS).shard, { index: 1, count: 3 });
  assert.deepEqual(
    parseCli(["--shard-index", "0", "--shard-count", "3"], EXPERIMENTS).shard,
    { index: 0, count: 3 },
  );
  assert.equal(parseCli([], EXPERIMENTS).shard, undefined);
  const bad: [string[], RegExp][] = [
    [["--shard", "0/3"], /--shard: got "0\/3"; allowed: i\/n with 1 <= i <= n/],
    [["--shard", "4/3"], /--shard: got "4\/3"/],
    [["--shard", "two"], /--shard: got "two"/],
    [
      ["--shard-index", "3", "--shard-count", "3"],
      /--shard-index: got "3"; allowed: an integer in \[0, 2\]/,
    ],
    [["--shard-index", "", "--shard-count", "3"], /--shard-index: got ""/],
    [["--shard-index", "1"], /--shard-count: got nothing/],
    [["--shard-count", "3"], /--shard-index: got nothing/],
    [["--shard", "1/2", "--shard-count", "2"], /either --shard i\/n or --shard-index/],
    [["--profile", "sweep"], /--profile: got "sweep"; allowed: full, quick/],
  ];
  for (const [args, re] of bad) {
    assert.throws(() => parseCli(args, EXPERIMENTS), re, args.join(" "));
  }
});

Deno.test("atomic writes: the old file survives a failed write; a staged folder is all or nothing", async () => {
  const dir = await Deno.makeTempDir();
  const f = join(dir, "a.txt");
  await writeFileAtomic(f, "old");
  // A write that fails midway (data that cannot be written) leaves the old file and no temp file.
  await assert.rejects(writeFileAtomic(f, { length: 1 } as unknown as Uint8Array));
  assert.equal(await Deno.readTextFile(f), "old");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
  assert.deepEqual(tempFilesInFlight(), []);
  // A write whose rename fails (the target is a folder): its temp file is removed too.
  await Deno.mkdir(join(dir, "d"));
  await Deno.writeTextFile(join(dir, "d", "x"), "x");
  await assert.rejects(writeFileAtomic(join(dir, "d"), "new"));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.txt", "d"]);
  await Deno.remove(join(dir, "d"), { recursive: true });
  // Staged folder: nothing visible until commit; abort leaves the old folder untouched.
  const final = join(dir, "exp");
  await Deno.mkdir(final);
  await Deno.writeTextFile(join(final, "metrics.json"), "old");
  const s1 = await stageDirectory(final);
  await Deno.writeTextFile(join(s1.dir, "metrics.json"), "new");
  assert.equal(await Deno.readTextFile(join(final, "metrics.json")), "old");
  s1.abort();
  assert.equal(await Deno.readTextFile(join(final, "metrics.json")), "old");
  const s2 = await stageDirectory(final);
  await Deno.writeTextFile(join(s2.dir, "metrics.json"), "new");
  s2.commit();
  assert.equal(await Deno.readTextFile(join(final, "metrics.json")), "new");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.txt", "exp"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the shipped Kubernetes and GitHub Actions files pass shard flags that reproduce accepts", async () => {
  const k8s = await Deno.readTextFile(join(PROJECT_ROOT, "deploy/k8s/reproduce-job.yaml"));
  const completions = Number(/completions: (\d+)/.exec(k8s)?.[1]);
  const count = /--shard-count=(\d+)/.exec(k8s)?.[1];
  assert.equal(Number(count), completions, "--shard-count equals the Job's completions");
  assert.match(k8s, /completionMode: Indexed/);
  assert.match(k8s, /--shard-index="\$JOB_COMPLETION_INDEX"/);
  for (let k = 0; k < completions; k++) {
    assert.deepEqual(
      parseCli([`--shard-index=${k}`, `--shard-count=${count}`], EXPERIMENTS).shard,
      { index: k, count: completions },
    );
  }
  const gha = await Deno.readTextFile(join(PROJECT_ROOT, ".github/workflows/reproduce.yml"));
  assert.match(
    gha,
    /--shard-index=\$\{\{ strategy\.job-index \}\} --shard-count=\$\{\{ strategy\.job-total \}\}/,
  );
  assert.match(gha, /task merge reports\/shard-\* --out reports\/merged/);
});

Deno.test("progress ticks let a signal handler run during long synchronous work", async () => {
  let handledAt = 0;
  const onSignal = () => handledAt = performance.now();
  Deno.addSignalListener("SIGUSR1", onSignal);
  try {
    const phase = createProgress("t", "silent").phase("work", 1e9);
    const start = performance.now();
    let sentAt = 0;
    while (!handledAt && performance.now() - start < 5000) {
      const t = performance.now();
      while (performance.now() - t < 1) { /* a millisecond of synchronous work */ }
      if (!sentAt && performance.now() - start > 200) {
        sentAt = performance.now();
        Deno.kill(Deno.pid, "SIGUSR1");
      }
      await phase.tick();
    }
    assert.ok(handledAt > 0, "the handler never ran while the loop ticked");
    assert.ok(handledAt - sentAt < 1000, `handled ${handledAt - sentAt} ms after the signal`);
  } finally {
    Deno.removeSignalListener("SIGUSR1", onSignal);
  }
});
