/** A throwaway copy of the project with one planted bug, for the mutation runners. */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/runtime/root.ts";

/** A bug to plant: `find` must occur exactly once in `file`; it becomes `replace`. */
export interface Plant {
  id: string;
  file: string;
  find: string;
  replace: string;
}

async function copyTree(from: string, to: string): Promise<void> {
  if ((await Deno.stat(from)).isFile) return void await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await copyTree(join(from, e.name), join(to, e.name));
}

/**
 * A temporary copy of `parts` of the project (and an empty reports/), node_modules as hard links
 * (fast, no space; a symlink out of the copy would be refused by its sandbox), with `plant` applied.
 */
export async function workspace(parts: string[], plant?: Plant): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "scorelab-mutant-" });
  for (const f of parts) await copyTree(join(PROJECT_ROOT, f), join(dir, f));
  await Deno.mkdir(join(dir, "reports"));
  const cp = await new Deno.Command("cp", {
    args: ["-al", join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules")],
  }).output();
  if (!cp.success) {
    throw new Error(
      `could not copy node_modules into ${dir}: ${new TextDecoder().decode(cp.stderr)}`,
    );
  }
  if (plant) {
    const path = join(dir, plant.file);
    const src = await Deno.readTextFile(path);
    const n = src.split(plant.find).length - 1;
    if (n !== 1) {
      throw new Error(
        `mutation ${plant.id}: its text occurs ${n} times in ${plant.file} (must be once)`,
      );
    }
    await Deno.writeTextFile(path, src.replace(plant.find, plant.replace));
  }
  return dir;
}
