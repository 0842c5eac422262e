/**
 * Entry point of `deno task diff A B [--out reports/diff]`: what changed between two runs (report
 * sites or goldens folders). Writes `<out>/index.html` (tables and overlaid samples) and
 * `<out>/summary.md` (for a GitHub job summary or a pull-request comment), and prints the Markdown.
 * Bad input: exit 2 with the folder named.
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { PROJECT_ROOT, underReports } from "../core/harness/cli.ts";
import { ConfigError, USAGE_EXIT } from "../core/spec/rules.ts";
import { diffMarkdown, diffSides, readSide } from "../core/harness/diff.ts";
import { readGolden } from "../core/harness/golden.ts";
import type { Golden } from "../core/harness/golden.ts";
import { diffPage } from "../core/harness/diff_page.ts";
import { writeSiteAssets } from "../core/report/assets.ts";
import { writeFileAtomic } from "../core/runtime/io.ts";
import { confine } from "../core/runtime/sandbox.ts";

const USAGE =
  "usage: deno task diff A B [--out reports/diff]   (A, B: report sites or fixtures/golden)";

async function main(): Promise<number> {
  let v, positionals;
  try {
    ({ values: v, positionals } = parseArgs({
      args: Deno.args,
      options: { out: { type: "string" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return USAGE_EXIT;
  }
  confine({ read: [PROJECT_ROOT], write: [join(PROJECT_ROOT, "reports")], shown: PROJECT_ROOT });
  try {
    if (positionals.length !== 2) {
      throw new ConfigError("diff", positionals, "two folders, A and B");
    }
    const out = underReports("--out", v.out ?? "reports/diff");
    const [A, B] = [
      await readSide(resolve(PROJECT_ROOT, positionals[0]), PROJECT_ROOT),
      await readSide(resolve(PROJECT_ROOT, positionals[1]), PROJECT_ROOT),
    ];
    const goldens = new Map<string, Golden | null>();
    for (const r of [...A.runs.values(), ...B.runs.values()]) {
      const k = `${r.experiment}.${r.profile}`;
      if (goldens.has(k)) continue;
      goldens.set(
        k,
        await readGolden(
          join(PROJECT_ROOT, "fixtures", "golden", `${k}.json`),
          r.experiment,
          r.profile,
          PROJECT_ROOT,
        ).catch(() => null),
      );
    }
    const diffs = diffSides(A, B, (e, p) => goldens.get(`${e}.${p}`) ?? null);
    const markdown = diffMarkdown(A, B, diffs);
    await writeSiteAssets(out);
    await writeFileAtomic(join(out, "index.html"), diffPage(A, B, diffs));
    await writeFileAtomic(join(out, "summary.md"), markdown + "\n");
    console.log(markdown);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`error: ${e.message}\n${USAGE}`);
      return USAGE_EXIT;
    }
    throw e;
  }
}

Deno.exit(await main());
