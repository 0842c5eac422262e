/**
 * Hostile input: every case of `hostile_cases.ts` through the real task (exit code, message, no
 * stack trace, the refused file's content never echoed, nothing written but what the case set
 * up); in-process checks of corrupt state files; and a fuzz test of the config layer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { tasks } from "./tools/task.ts";
import { fileTree } from "./tools/tree.ts";
import { HOSTILE_CASES, HOSTILE_DIR, OUTSIDE_DIR, SECRET, symlink } from "./hostile_cases.ts";
import { ConfigError } from "../core/spec/rules.ts";
import { parseCli, reportsDir, underReports } from "../core/harness/cli.ts";
import { type Plan, plan } from "../core/harness/plan.ts";
import { costModel } from "../core/harness/plan.ts";
import { loadGoldens } from "../core/harness/runner.ts";
import { renewGoldens } from "../core/harness/renew.ts";
import type { Golden } from "../core/harness/golden.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import type { Rule } from "../core/spec/rules.ts";
import { Streams } from "../core/runtime/random.ts";

const STACK = /^\s+at\s.+:\d+:\d+\)?$/m;

Deno.test("hostile input through the real tasks: refused before any work, exit 2, no stack trace, nothing written", async () => {
  const hostile = join(PROJECT_ROOT, HOSTILE_DIR);
  const clean = async () => {
    await Deno.remove(hostile, { recursive: true }).catch(() => {});
    await Deno.remove(OUTSIDE_DIR, { recursive: true }).catch(() => {});
  };
  await clean();
  try {
    for (const c of HOSTILE_CASES) await c.setup?.();
    const before = fileTree(join(PROJECT_ROOT, "reports"));
    const outside = fileTree(OUTSIDE_DIR);
    const golden = fileTree(join(PROJECT_ROOT, "fixtures"));
    // Four at a time: each is a short process.
    const runs = await tasks(HOSTILE_CASES.map((c) => [c.task, ...c.args]), 4);
    const results = HOSTILE_CASES.map((c, i) => ({ c, r: runs[i] }));
    for (const { c, r } of results) {
      const what = `${c.input} (${c.args.join(" ")})`;
      assert.equal(r.code, c.exit, `${what}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, c.message, what);
      assert.doesNotMatch(r.stderr + r.stdout, STACK, `${what}: a stack trace reached the user`);
      assert.ok(
        !(r.stderr + r.stdout).includes(SECRET),
        `${what}: a refused file's content was echoed`,
      );
    }
    assert.deepEqual(
      fileTree(join(PROJECT_ROOT, "reports")),
      before,
      "nothing written under reports/",
    );
    assert.deepEqual(fileTree(OUTSIDE_DIR), outside, "nothing written outside the project");
    assert.deepEqual(fileTree(join(PROJECT_ROOT, "fixtures")), golden, "no golden touched");
  } finally {
    await clean();
  }
});

Deno.test("corrupt state files: a truncated golden or one linked out of the project is refused naming it; costs.json problems warn", async () => {
  const root = await Deno.makeTempDir({ prefix: "scorelab-state-" });
  const outside = await Deno.makeTempDir({ prefix: "scorelab-outside-" });
  try {
    await Deno.mkdir(join(root, "fixtures", "golden"), { recursive: true });
    const [p] = await plan(
      PROJECT_ROOT,
      EXPERIMENTS.filter((e) => e.name === "nll-oracle"),
      "quick",
    );
    const here = (q: Plan): Plan => ({
      ...q,
      goldenFile: join(root, "fixtures", "golden", "nll-oracle.quick.json"),
    });
    const good = await Deno.readTextFile(p.goldenFile);
    await Deno.writeTextFile(here(p).goldenFile, good.slice(0, 200));
    await assert.rejects(
      loadGoldens(root, [here(p)]),
      (e: Error) =>
        e instanceof ConfigError &&
        /fixtures\/golden\/nll-oracle\.quick\.json.*not valid JSON/.test(e.message),
    );
    await Deno.writeTextFile(here(p).goldenFile, "[]");
    await assert.rejects(loadGoldens(root, [here(p)]), /unusable: not a JSON object/);
    // A hand edit that keeps the shape: one seed's figure moved (a band widened), or a gate
    // weakened. Both are refused by the digest update-golden writes; the file as written loads.
    const edits: ((g: Golden) => void)[] = [
      (g) => g.runs[g.runs.length - 1].metrics[Object.keys(g.runs[0].metrics)[0]] += 1,
      (g) => g.gates[Object.keys(g.gates)[0]] = { kind: "report" },
      (g) => g.runs.pop(),
      (g) => g.runs[0].outputsSha256[Object.keys(g.runs[0].outputsSha256)[0]] = "0".repeat(64),
    ];
    for (const edit of edits) {
      const g = JSON.parse(good) as Golden;
      edit(g);
      await Deno.writeTextFile(here(p).goldenFile, JSON.stringify(g, null, 2));
      await assert.rejects(
        loadGoldens(root, [here(p)]),
        (e: Error) =>
          e instanceof ConfigError &&
          /nll-oracle\.quick\.json was edited by hand: .*contentSha256/.test(e.message),
        String(edit),
      );
    }
    // update-golden cannot judge a renewal against an edited golden: it needs --reason, before
    // any work (an edit must not launder a regression through a renewal).
    await assert.rejects(
      renewGoldens({
        root,
        outDir: join(root, "reports", "renew"),
        experiments: EXPERIMENTS.filter((e) => e.name === "nll-oracle"),
        profiles: ["quick"],
        print: false,
      }),
      (e: Error) =>
        e instanceof ConfigError &&
        /^--reason: golden file .*nll-oracle\.quick\.json was edited by hand.*needs --reason/.test(
          e.message,
        ),
    );
    await assert.rejects(Deno.stat(join(root, "reports", "renew")), Deno.errors.NotFound);
    await Deno.writeTextFile(here(p).goldenFile, good);
    assert.equal((await loadGoldens(root, [here(p)])).size, 1, "the file as written loads");
    // A golden that is a link out of the project: refused under the sandbox, content never read.
    await Deno.remove(here(p).goldenFile);
    await Deno.writeTextFile(join(outside, "secret.json"), `{"${SECRET}": 1}`);
    await symlink(join(outside, "secret.json"), here(p).goldenFile);
    const { confine, unconfine } = await import("../core/runtime/sandbox.ts");
    confine({ read: [root], write: [join(root, "reports")], shown: root });
    try {
      await assert.rejects(loadGoldens(root, [here(p)]), (e: Error) => {
        assert.match(
          e.message,
          /golden file .*nll-oracle\.quick\.json lies outside the folders this task may read/,
        );
        assert.ok(!e.message.includes(SECRET));
        return true;
      });
    } finally {
      unconfine();
    }
    // costs.json: missing, then corrupt, then without an entry: a warning each time.
    assert.match((await costModel(root, [p])).warning ?? "", /costs\.json is missing/);
    await Deno.writeTextFile(join(root, "fixtures", "costs.json"), "{");
    assert.match(
      (await costModel(root, [p])).warning ?? "",
      /costs\.json is unusable \(not valid JSON\)/,
    );
    await Deno.writeTextFile(join(root, "fixtures", "costs.json"), '{"costs": {}}');
    assert.match(
      (await costModel(root, [p])).warning ?? "",
      /no usable cost for nll-oracle \(quick\)/,
    );
    assert.equal((await costModel(PROJECT_ROOT, [p])).warning, undefined, "the shipped costs.json");
    // CI=True means CI.
    for (const v of ["True", "TRUE", "1", "yes"]) {
      assert.equal(parseCli([`--ci=${v}`], EXPERIMENTS).ci, true, v);
    }
    for (const v of ["false", "", "0"]) {
      assert.equal(parseCli([`--ci=${v}`], EXPERIMENTS).ci, false, v);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("the sandbox: writes only under the write roots, reads only under the read roots, on real paths, no prefix tricks", async () => {
  const { checkRead, checkWrite, confine, isInside, SandboxError, unconfine } = await import(
    "../core/runtime/sandbox.ts"
  );
  const root = await Deno.makeTempDir({ prefix: "scorelab-sandbox-" });
  const outside = await Deno.makeTempDir({ prefix: "scorelab-outside-" });
  try {
    for (const d of ["reports", "reports-x", "fixtures"]) await Deno.mkdir(join(root, d));
    await symlink(join(root, "fixtures"), join(root, "reports", "to-fixtures"));
    await symlink(outside, join(root, "reports", "to-outside"));
    confine({ read: [root], write: [join(root, "reports")], shown: root });
    const refused = (f: () => unknown, what: string) =>
      assert.throws(f, (e: Error) => e instanceof SandboxError, what);
    // Writes: under reports/ only, whatever the reads allow.
    assert.equal(
      checkWrite(join(root, "reports", "a", "b.txt"), "f"),
      join(root, "reports", "a", "b.txt"),
    );
    refused(() => checkWrite(join(root, "fixtures", "golden.json"), "f"), "a readable folder");
    refused(
      () => checkWrite(join(root, "reports-x", "f.txt"), "f"),
      "a sibling sharing the prefix",
    );
    refused(() => checkWrite(join(root, "reports", "..", "fixtures", "f"), "f"), "through ..");
    refused(
      () => checkWrite(join(root, "reports", "to-fixtures", "f"), "f"),
      "a link out of reports/",
    );
    refused(
      () => checkWrite(join(root, "reports", "to-outside", "f"), "f"),
      "a link out of the project",
    );
    // Reads: under the project, links resolved.
    checkRead(join(root, "reports-x", "f.txt"), "f");
    checkRead(join(root, "reports", "to-fixtures", "f"), "f");
    refused(() => checkRead(join(root, "reports", "to-outside", "f"), "f"), "read through a link");
    refused(() => checkRead(join(outside, "f"), "f"), "read outside");
  } finally {
    unconfine();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
  assert.ok(isInside("/a/reports", "/a/reports") && isInside("/a/reports/b", "/a/reports"));
  assert.ok(!isInside("/a/reports-x", "/a/reports") && !isInside("/a", "/a/reports"));
  assert.ok(isInside("/a/..b", "/a"), "a name starting with two dots is inside");
});

/** Every path of a config value (objects' fields, lists' items), with its value. */
function paths(value: unknown, prefix = ""): [string, unknown][] {
  if (Array.isArray(value)) {
    return [[prefix, value], ...value.flatMap((v, i) => paths(v, `${prefix}.${i}`))];
  }
  if (typeof value === "object" && value !== null) {
    return [
      ...(prefix ? [[prefix, value] as [string, unknown]] : []),
      ...Object.entries(value).flatMap(([k, v]) => paths(v, prefix ? `${prefix}.${k}` : k)),
    ];
  }
  return [[prefix, value]];
}

/** The schema rule at a dotted path (list items take their list's item rule). */
function ruleAt(schema: Record<string, Rule>, path: string): Rule | undefined {
  let rule: Rule | undefined = { type: "object", fields: schema };
  for (const k of path.split(".")) {
    if (!rule) return undefined;
    if (rule.type === "object") rule = rule.fields[k];
    else if (rule.type === "list" && /^\d+$/.test(k)) rule = rule.of;
    else return undefined;
  }
  return rule;
}

/** Values a rule refuses, by construction (JSON text, as a user types it). */
function badValues(rule: Rule, current: unknown): string[] {
  const common = ["null", "{}", '"text"', "true"];
  switch (rule.type) {
    case "int":
      return [
        ...common,
        "[]",
        "1.5",
        "1e999", // Infinity
        "-1e999",
        ...(rule.min !== undefined ? [String(rule.min - 1)] : []),
        ...(rule.max !== undefined ? [String(rule.max + 1)] : ["1e300"]),
      ];
    case "number":
      return [
        ...common,
        "[]",
        "1e999",
        "-1e999",
        ...(rule.min !== undefined
          ? [String(rule.exclusiveMin ? rule.min : rule.min - 1e-3 - Math.abs(rule.min))]
          : []),
        ...(rule.max !== undefined
          ? [String(rule.exclusiveMax ? rule.max : rule.max * 2 + 1)]
          : []),
      ];
    case "enum":
      return ["1", '"nope"', "null", "[]"];
    case "bool":
      return ["1", '"true"', "null"];
    case "list":
      return [
        "1",
        '"a"',
        "{}",
        ...(rule.minLength ? [JSON.stringify([])] : []),
        ...(rule.maxLength !== undefined
          ? [JSON.stringify(Array(rule.maxLength + 1).fill((current as unknown[])[0] ?? 1))]
          : []),
      ];
    case "object":
      return ["1", "[]", "null", '{"nope": 1}'];
    case "dataset":
      return ["1", '"nowhere"', '"csv:../outside.csv"', '"csv:no/such/file.csv"'];
  }
}

Deno.test("fuzz: random --set paths and values against every experiment's schema are refused naming the field", async () => {
  const rng = new Streams(20261130).get("fuzz");
  const pick = <T>(a: T[]): T => a[rng.int(a.length)];
  let refused = 0;
  for (const exp of EXPERIMENTS) {
    for (const profile of ["quick", "full"] as const) {
      const config = exp.profiles[profile];
      const all = paths(config).filter(([p]) => p !== "");
      const cases: [string, string][] = [];
      for (let i = 0; i < 25; i++) {
        const [path, current] = pick(all);
        const rule = ruleAt(exp.schema, path);
        if (!rule) continue;
        cases.push([path, pick(badValues(rule, current))]);
      }
      // Structure: prototype names, unknown fields, holes, paths through scalars.
      const list = all.find(([, v]) => Array.isArray(v));
      const scalar = all.find(([, v]) => typeof v === "number");
      cases.push(
        ["__proto__", "{}"],
        ["constructor", "1"],
        ["toString", '"x"'],
        ["nope", "1"],
        [`${all[0][0]}.__proto__`, "1"],
      );
      if (list) cases.push([`${list[0]}.${(list[1] as unknown[]).length + 3}`, "1"]);
      if (scalar) cases.push([`${scalar[0]}.deeper`, "1"]);
      for (const [path, value] of cases) {
        const arg = `${exp.name}.${path}=${value}`;
        let error: unknown;
        try {
          const o = parseCli(["--profile", profile, "--only", exp.name, "--set", arg], EXPERIMENTS);
          await plan(PROJECT_ROOT, o.experiments, profile, { overrides: o.overrides });
        } catch (e) {
          error = e;
        }
        assert.ok(
          error instanceof ConfigError,
          `--set ${arg}: refused with a ConfigError (got ${error})`,
        );
        const head = path.split(".")[0];
        assert.ok(
          (error as Error).message.includes(`${exp.name}.${head}`) ||
            (error as Error).message.includes(`--set ${exp.name}.${path}`),
          `--set ${arg}: the message names the field: ${(error as Error).message}`,
        );
        refused++;
      }
    }
  }
  assert.ok(refused > 500, `${refused} bad values refused`);
});

Deno.test("reports/ itself a symbolic link out of the project: every task that writes refuses before any work", async () => {
  const root = await Deno.makeTempDir({ prefix: "scorelab-reports-link-" });
  const outside = await Deno.makeTempDir({ prefix: "scorelab-outside-" });
  try {
    await symlink(outside, join(root, "reports"));
    const refused = (e: Error) =>
      e instanceof ConfigError && /^reports\/: a symbolic link out of the project/.test(e.message);
    // reproduce with and without --out (the default writes to reports/ itself), and the folder
    // checks merge, diff and publish share.
    assert.throws(() => parseCli(["--only", "ring-demo"], EXPERIMENTS, root), refused);
    assert.throws(() => parseCli(["--out", "reports/x"], EXPERIMENTS, root), refused);
    assert.throws(() => underReports("--to", "reports/site", root), refused);
    assert.throws(() => reportsDir(root), refused);
    // A link that stays inside the project is a folder of the project: allowed.
    await Deno.remove(join(root, "reports"));
    await Deno.mkdir(join(root, "data", "reports"), { recursive: true });
    await symlink(join(root, "data", "reports"), join(root, "reports"));
    assert.equal(reportsDir(root), join(root, "reports"));
    assert.equal(await Array.fromAsync(Deno.readDir(outside)).then((a) => a.length), 0);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
