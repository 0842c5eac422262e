/** What a folder holds, to prove a task wrote nothing (or changed nothing) there. */
import { join } from "node:path";

/**
 * Every file under `dirs` (recursively; a missing folder is empty) with its size and modification
 * time. Links are recorded as links (lstat): a task that wrote through one would show.
 */
export function fileTree(...dirs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else {
        const s = Deno.lstatSync(p);
        out.set(p, `${s.size}:${s.mtime?.getTime()}`);
      }
    }
  };
  dirs.forEach(walk);
  return out;
}
