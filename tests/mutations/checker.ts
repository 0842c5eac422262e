/**
 * `deno task test:checker [--only id,...] [--jobs N]`: bugs planted in the checker itself (the
 * gate, the golden comparison and seal, output digests, the sandbox, atomic writes, config rules,
 * update-golden). Such a bug changes no experiment's bits, so the golden check cannot see it: each
 * must make the unit tests it names fail. For each bug of `checker.json` the project (with its
 * tests) is copied, the bug planted, and `deno test` run on the named files in the copy; a bug
 * passes when a test fails; a type error or a hang counts as a failure of this runner (never as
 * a catch). First the unmutated copy must pass those tests.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { mapConcurrent } from "../tools/concurrent.ts";
import { type Plant, workspace } from "./workspace.ts";

/** A bug in the checker and the test files that must fail on it. */
interface CheckerBug extends Plant {
  breaks: string;
  tests: string[];
}

// The whole project but what is made or fetched (tests read deploy/, README.md, docs/).
const PARTS = [...Deno.readDirSync(PROJECT_ROOT)].map((e) => e.name)
  .filter((n) => ![".git", "node_modules", "reports", "scratch"].includes(n));
const TEST_FLAGS = [
  "test",
  "--no-prompt",
  "--allow-read=.,/tmp,/usr/bin/chromium",
  "--allow-write=reports,/tmp",
  "--allow-run",
  "--allow-env",
  "--allow-net=127.0.0.1",
];

/** A bug's tests may take this long (a bug that hangs them is reported, never counted as caught). */
const TIMEOUT_MS = 600_000;

/**
 * `deno test` of `files` in the copy `dir`: passed, the failing tests' names, a type error, and
 * whether it was stopped after {@link TIMEOUT_MS}.
 */
async function runTests(dir: string, files: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...TEST_FLAGS, ...files],
    cwd: dir,
    env: { CI: "true", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, TIMEOUT_MS);
  const out = await child.output().finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const failed = [...new Set([...text.matchAll(/^(.+) => \.\/tests\//gm)].map((m) => m[1]))];
  return { passed: out.success, failed, typeError: /error: TS\d+/.test(text), timedOut };
}

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, jobs: { type: "string" } },
  strict: true,
});
let bugs: CheckerBug[] = JSON.parse(
  await Deno.readTextFile(join(PROJECT_ROOT, "tests", "mutations", "checker.json")),
);
if (values.only) {
  const ids = values.only.split(",");
  const unknown = ids.filter((i) => !bugs.some((b) => b.id === i));
  if (unknown.length) {
    console.error(`--only: no checker bug named ${unknown.join(", ")}`);
    Deno.exit(2);
  }
  bugs = bugs.filter((b) => ids.includes(b.id));
}
const jobs = Number(values.jobs ?? 2);

const base = await workspace(PARTS);
try {
  const files = [...new Set(bugs.flatMap((b) => b.tests))];
  const r = await runTests(base, files);
  if (!r.passed || r.timedOut) {
    console.error(
      `baseline: the unmutated project fails ${files.join(" ")}: ${r.failed.join("; ")}`,
    );
    Deno.exit(1);
  }
} finally {
  await Deno.remove(base, { recursive: true });
}

const outcomes = await mapConcurrent(bugs, jobs, async (b) => {
  const start = performance.now();
  const dir = await workspace(PARTS, b);
  try {
    const r = await runTests(dir, b.tests);
    const verdict = r.timedOut
      ? "timed out"
      : r.typeError
      ? "type error"
      : r.passed
      ? "MISSED"
      : "caught";
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${verdict === "caught" ? "pass" : "FAIL"}  ${b.id.padEnd(30)} ${verdict} (${
        seconds.toFixed(0)
      } s)${r.failed.length ? `: ${r.failed.slice(0, 2).join("; ")}` : ""}`,
    );
    return { id: b.id, verdict };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
const bad = outcomes.filter((o) => o.verdict !== "caught");
console.log(
  `\n${bugs.length} checker bugs: ${bugs.length - bad.length} caught by the tests${
    bad.length ? `; not caught: ${bad.map((o) => `${o.id} (${o.verdict})`).join(", ")}` : ""
  }`,
);
if (bad.length) Deno.exit(1);
