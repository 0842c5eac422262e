/**
 * A report site as comparable data: every file's bytes, except what records when and how long a
 * run took. That part is declared by the harness, not guessed here: `timing.json` and
 * `timing-*` charts, the pages' `<section class="timing">` and `class="timing"` cells, and the
 * wall times (of runs, parts, assemblies and the work spread), peak memory, shard, the parts a
 * shard kept and the jobs' timeline of `summary.json`.
 */
import { join, relative } from "node:path";

const dec = new TextDecoder();

function normalise(path: string, bytes: Uint8Array): string {
  const name = path.split("/").pop()!;
  if (!name.endsWith(".html") && name !== "summary.json") return dec.decode(bytes);
  const text = dec.decode(bytes);
  if (name.endsWith(".html")) {
    return text
      .replace(/<section class="timing">[\s\S]*?<\/section>/g, "<section timing>")
      .replace(/<span class="timing">[^<]*<\/span>/g, "<span timing>")
      .replace(/<td class="num timing">[^<]*<\/td>/g, "<td timing>");
  }
  const s = JSON.parse(text);
  delete s.peakRssMiB;
  delete s.shard;
  delete s.parts;
  delete s.timeline;
  delete s.work;
  for (const e of s.experiments) {
    delete e.wallSeconds;
    delete e.partSeconds;
    delete e.assemblySeconds;
  }
  return JSON.stringify(s, null, 2);
}

/** Every file under `dir` (relative path -> content, timing stripped), leaving timing files out. */
export async function siteFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) {
        if (e.name !== ".checkpoints") await walk(p);
      } else if (e.name !== "timing.json" && !e.name.startsWith("timing-")) {
        out.set(relative(dir, p), normalise(p, await Deno.readFile(p)));
      }
    }
  };
  await walk(dir);
  return out;
}

/** The paths whose content differs between two sites, and the paths only one has. */
export function siteDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [p, v] of a) {
    if (!b.has(p)) diffs.push(`only in the first: ${p}`);
    else if (b.get(p) !== v) diffs.push(`differs: ${p}`);
  }
  for (const p of b.keys()) if (!a.has(p)) diffs.push(`only in the second: ${p}`);
  return diffs.sort();
}
