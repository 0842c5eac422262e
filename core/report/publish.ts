/**
 * `deno task publish`: copy the report site of a run into a folder ready to upload (a GitHub Pages
 * artifact, a course site, any static host): the index, the shared assets, the summary and bench
 * results, and exactly the experiment folders the run's `summary.json` lists, plus `.nojekyll` so
 * GitHub Pages serves the files as they are. The folder is staged and swapped in whole.
 */
import { join, relative } from "node:path";
import { stageDirectory } from "../runtime/io.ts";
import { checkRead } from "../runtime/sandbox.ts";

/** Copy a file or folder tree; a symbolic link in it is refused (it could point anywhere). */
async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.lstat(from);
  if (info.isSymlink) {
    throw new Error(`${from} is a symbolic link; the site is published from plain files only`);
  }
  if (info.isFile) {
    await Deno.copyFile(from, to);
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await copyTree(join(from, e.name), join(to, e.name));
}

/** A published run an in-browser reproduction is compared with (from the goldens). */
export interface ReproduceReference {
  seed: number;
  samplesSha256: string | null;
  /** The sha256 of every other output (`core/harness/outputs.ts`). */
  outputsSha256: Record<string, string>;
  metrics: Record<string, number>;
}

/** What the site needs to reproduce experiments in the reader's browser (`assets/reproduce/`). */
export interface BrowserReproduction {
  /** The bundled worker script (`deno bundle` of experiments/browser_worker.ts). */
  worker: string;
  /** tfjs-backend-wasm's folder of `.wasm` files. */
  wasmDir: string;
  /** Per experiment and profile, the published run to compare with. */
  references: Record<string, Partial<Record<"quick" | "full", ReproduceReference>>>;
}

/** Publish the site of `from` (a run's output folder) into `to`; returns the files copied. */
export async function publishSite(
  from: string,
  to: string,
  browser?: BrowserReproduction,
): Promise<string[]> {
  let summary: { experiments: { name: string }[] };
  try {
    summary = JSON.parse(await Deno.readTextFile(checkRead(join(from, "summary.json"), "summary")));
  } catch {
    throw new Error(
      `${from} holds no usable summary.json: run \`deno task reproduce\` (with the same --out) first`,
    );
  }
  const names = Array.isArray(summary?.experiments) ? summary.experiments.map((e) => e?.name) : [];
  if (!names.length || names.some((n) => typeof n !== "string" || !/^[a-z0-9-]+$/.test(n))) {
    throw new Error(
      `${from}/summary.json lists no experiments, or names that are not experiment names`,
    );
  }
  const entries = [
    "index.html",
    "summary.json",
    "assets",
    // One folder per experiment (a sweep's runs all live in theirs).
    ...new Set(summary.experiments.map((e) => e.name)),
  ];

  for (const bench of ["bench.json", "bench"]) {
    try {
      await Deno.stat(join(from, bench));
      entries.push(bench);
    } catch { /* no benchmark results */ }
  }
  const stage = await stageDirectory(to);
  try {
    for (const e of entries) await copyTree(join(from, e), join(stage.dir, e));
    if (browser) {
      const dir = join(stage.dir, "assets", "reproduce");
      await Deno.mkdir(dir, { recursive: true });
      await Deno.copyFile(checkRead(browser.worker, "worker bundle"), join(dir, "worker.js"));
      for (const f of ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm"]) {
        await Deno.copyFile(checkRead(join(browser.wasmDir, f), "tfjs wasm"), join(dir, f));
      }
      await Deno.writeTextFile(
        join(dir, "references.json"),
        JSON.stringify(browser.references, null, 1) + "\n",
      );
    }
    await Deno.writeTextFile(join(stage.dir, ".nojekyll"), "");
    stage.commit();
  } catch (e) {
    stage.abort();
    throw e;
  }
  const files: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name));
      else files.push(relative(to, join(d, e.name)));
    }
  };
  await walk(to);
  return files.sort();
}
