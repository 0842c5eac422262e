/**
 * Provenance of a run: where its numbers came from. The git commit is read from the `.git` folder
 * directly (no subprocess, so the task needs no `--allow-run`).
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { version_wasm } from "@tensorflow/tfjs-backend-wasm";
import { version as vegaVersion } from "vega";
import { version as vegaLiteVersion } from "vega-lite";
import { sha256 } from "../runtime/io.ts";

/** The commit checked out in `root`, or null when it is not a git checkout (or unreadable). */
export async function gitCommit(root: string): Promise<string | null> {
  try {
    let gitDir = join(root, ".git");
    const stat = await Deno.stat(gitDir);
    if (stat.isFile) {
      const m = /^gitdir: (.+)$/m.exec(await Deno.readTextFile(gitDir));
      if (!m) return null;
      gitDir = join(root, m[1].trim());
    }
    const head = (await Deno.readTextFile(join(gitDir, "HEAD"))).trim();
    if (!head.startsWith("ref: ")) return /^[0-9a-f]{40}$/.test(head) ? head : null;
    const ref = head.slice(5);
    try {
      return (await Deno.readTextFile(join(gitDir, ref))).trim();
    } catch {
      const packed = await Deno.readTextFile(join(gitDir, "packed-refs"));
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      return line ? line.split(" ")[0] : null;
    }
  } catch {
    return null;
  }
}

/**
 * The versions a run's numbers depend on: the runtime, the npm packages, and the sha256 of
 * `deno.lock` (which pins every transitive dependency). Shards merge only when these agree.
 */
export async function runtimeVersions(root: string): Promise<Record<string, string>> {
  let lock = "none";
  try {
    lock = await sha256(await Deno.readTextFile(join(root, "deno.lock")));
  } catch { /* not a checkout with a lock file */ }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tfjs: tf.version.tfjs,
    "tfjs-backend-wasm": version_wasm,
    vega: vegaVersion,
    "vega-lite": vegaLiteVersion,
    "deno.lock sha256": lock,
  };
}
