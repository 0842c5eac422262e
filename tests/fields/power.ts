/**
 * `deno task test:fields-power`: the field check's measured power, held. Each bug of
 * `planted.json` loses a recipe option on its way to what the run computes (most of them hard-code
 * the option's quick value, so the golden's bits cannot see them at all). Each is planted in a copy
 * of the project, and the field check runs there on the fields the bug touches: it must flag the
 * bug in at least one of them, unless the bug declares why the check cannot see it (`missed`, the
 * README's published limit), in which case it must not flag it either (a stale declaration fails).
 * A run that fails or does not compile is reported as such, never as a catch.
 * Results: reports/fields-power.json and a table; exit 1 on any bug not as declared.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { writeJsonAtomic } from "../../core/runtime/io.ts";
import { workspace } from "../mutations/workspace.ts";

/** A planted bug of the field check's power suite. */
interface Planted {
  id: string;
  file: string;
  find: string;
  replace: string;
  breaks: string;
  /** The (experiment, field) pairs the check runs on. */
  fields: [string, string][];
  /** Why the field check cannot see this bug (measured), if it cannot. */
  missed?: string;
}

/** What the field check said of one field in a mutant. */
type Verdict = "flagged" | "passed" | "error";

const COPIED = ["deno.json", "deno.lock", "mod.ts", "core", "experiments", "fixtures", "tests"];

/** Run the field check on one field in `dir`; "error" for a crash, a failed run or a bad exit. */
async function checkIn(dir: string, exp: string, field: string): Promise<[Verdict, string]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--v8-flags=--max-old-space-size=384",
      "--allow-read=.",
      "--allow-write=reports",
      "--allow-env=CI",
      "tests/fields/run.ts",
      "--only",
      exp,
      "--field",
      field,
      "--workers",
      "1",
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" ");
  if (out.code !== 0 && out.code !== 1) return ["error", `exit ${out.code}: ${tail}`];
  const report = JSON.parse(await Deno.readTextFile(join(dir, "reports", "fields.json")));
  const [o] = report.outcomes as { ok: boolean; problem?: string }[];
  if (!o) return ["error", "no outcome"];
  if (o.ok) return ["passed", ""];
  if (o.problem?.startsWith("run failed")) return ["error", o.problem];
  return ["flagged", o.problem ?? ""];
}

if (import.meta.main) {
  const planted: Planted[] = JSON.parse(
    await Deno.readTextFile(join(PROJECT_ROOT, "tests", "fields", "planted.json")),
  );
  const start = performance.now();
  const results = [];
  for (const p of planted) {
    const runs: { experiment: string; field: string; verdict: Verdict; detail: string }[] = [];
    for (const [experiment, field] of p.fields) {
      const dir = await workspace(COPIED, p);
      try {
        const [verdict, detail] = await checkIn(dir, experiment, field);
        runs.push({ experiment, field, verdict, detail });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    const flagged = runs.some((r) => r.verdict === "flagged");
    const error = runs.find((r) => r.verdict === "error");
    const ok = !error && (p.missed ? !flagged : flagged);
    results.push({ id: p.id, breaks: p.breaks, missed: p.missed, flagged, ok, runs });
    const what = error
      ? `error (${error.experiment} ${error.field}: ${error.detail})`
      : `${runs.filter((r) => r.verdict === "flagged").length}/${runs.length} runs flagged` +
        (p.missed ? ` (declared missed: ${p.missed})` : "");
    console.log(`${ok ? "ok  " : "FAIL"} ${p.id}: ${what}`.slice(0, 240));
  }
  const failed = results.filter((r) => !r.ok);
  await writeJsonAtomic(join(PROJECT_ROOT, "reports", "fields-power.json"), {
    seconds: (performance.now() - start) / 1000,
    results,
  });
  const caught = results.filter((r) => r.flagged).length;
  console.log(
    `\n${caught}/${results.length} planted option bugs flagged by the field check; ` +
      `${results.length - failed.length}/${results.length} as declared`,
  );
  Deno.exit(failed.length ? 1 : 0);
}
