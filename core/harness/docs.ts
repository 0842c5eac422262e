/**
 * The README's generated blocks: each sits between `<!-- name: ... -->` and `<!-- /name -->` and is
 * rebuilt from the code or the goldens (`deno task docs`), so the documentation cannot drift from
 * what the harness does (a test compares them).
 */
import type { AnyExperiment } from "./experiment.ts";
import { flagsMarkdown } from "./cli.ts";
import { goldenPath, readGolden } from "./golden.ts";
import { powerMatrix } from "./sensitivity.ts";

/** The content of every generated block, by name. */
export async function readmeBlocks(
  root: string,
  experiments: AnyExperiment[],
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const goldens = [];
  for (const profile of ["full", "quick"] as const) {
    for (const e of experiments) {
      const g = await readGolden(goldenPath(root, e.name, profile), e.name, profile, root).catch(
        () => null,
      );
      if (g?.runs.some((r) => r.sensitivity)) goldens.push(g);
    }
  }
  return { flags: flagsMarkdown(), power: powerMatrix(goldens), ...extra };
}

/** `text` with each named block's content replaced. */
export function replaceBlocks(text: string, blocks: Record<string, string>): string {
  let out = text;
  for (const [name, content] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- ${name}:[^\\n]*-->\\n)[\\s\\S]*?(<!-- /${name} -->)`);
    if (!re.test(out)) {
      throw new Error(`README.md has no block <!-- ${name}: ... --> ... <!-- /${name} -->`);
    }
    // Blank lines around the content: the layout `deno fmt` gives Markdown, so the file stays formatted.
    out = out.replace(re, (_, open, close) => `${open}\n${content}\n\n${close}`);
  }
  return out;
}
