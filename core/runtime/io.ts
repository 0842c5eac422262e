/**
 * Atomic file output.
 *
 * Every result file is written to a temporary sibling and renamed into place, so an interrupted or
 * failed run never leaves a half-written report, CSV or golden: a reader sees the old file or the
 * new one, never a mix. Temporary files still in flight are tracked so a signal handler can remove
 * them before the process exits.
 */
import { dirname } from "node:path";
import { checkWrite } from "./sandbox.ts";

const inFlight = new Set<string>();
let counter = 0;

/** Temporary files being written right now (removed by {@link removeTempFiles} on interrupt). */
export function tempFilesInFlight(): string[] {
  return [...inFlight];
}

/** Remove every temporary file still in flight; used by the interrupt handler. */
export function removeTempFiles(): void {
  for (const f of inFlight) {
    try {
      Deno.removeSync(f);
    } catch { /* already gone */ }
    inFlight.delete(f);
  }
}

/** Write `data` to `path` atomically (temp file in the same folder, then rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  checkWrite(path, "output file");
  await Deno.mkdir(dirname(path), { recursive: true });
  checkWrite(path, "output file");
  const tmp = `${path}.${Deno.pid}.${counter++}.tmp`;
  inFlight.add(tmp);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      await Deno.remove(tmp);
    } catch { /* never created */ }
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
}

/** Write JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Hex sha256 of a string or bytes. */
export async function sha256(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted at every level: the canonical form hashed for config hashes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

const stagedDirs = new Set<string>();

/** Staging folders still in flight (removed by {@link removeStagedDirectories} on interrupt). */
export function removeStagedDirectories(): void {
  for (const d of stagedDirs) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* already gone */ }
    stagedDirs.delete(d);
  }
}

/**
 * A folder written as a whole: files go to a hidden staging sibling, and `commit()` swaps it for
 * `final` with two synchronous renames (no await between them, so no signal handler can run in
 * between). Until then the previous `final` stays untouched; `abort()` discards the staging folder.
 */
export async function stageDirectory(
  final: string,
): Promise<{ dir: string; commit(): void; abort(): void }> {
  checkWrite(final, "output folder");
  const parent = dirname(final);
  const base = final.slice(parent.length + 1);
  const dir = `${parent}/.${base}.staging-${Deno.pid}-${counter++}`;
  await Deno.mkdir(dir, { recursive: true });
  stagedDirs.add(dir);
  return {
    dir,
    commit() {
      const old = `${parent}/.${base}.old-${Deno.pid}-${counter++}`;
      let moved = false;
      try {
        Deno.renameSync(final, old);
        moved = true;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      Deno.renameSync(dir, final);
      stagedDirs.delete(dir);
      if (moved) Deno.removeSync(old, { recursive: true });
    },
    abort() {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
      stagedDirs.delete(dir);
    },
  };
}

/**
 * Remove what an interrupted run of process `pid` left in `dirs` (not recursive): temp files
 * (`<name>.<pid>.<n>.tmp`) and staging folders (`.<name>.staging-<pid>-<n>`); a folder moved aside
 * for a commit (`.<name>.old-<pid>-<n>`) is moved back if its commit did not finish, else removed.
 * Safe when the writing threads were killed at any instruction (workers terminated on a signal).
 */
export function removeLeftovers(dirs: string[], pid = Deno.pid): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      const staging = new RegExp(`^\\.(.+)\\.staging-${pid}-\\d+$`).exec(e.name);
      const old = new RegExp(`^\\.(.+)\\.old-${pid}-\\d+$`).exec(e.name);
      try {
        if (staging || new RegExp(`\\.${pid}\\.\\d+\\.tmp$`).test(e.name)) {
          Deno.removeSync(path, { recursive: true });
          removed.push(path);
        } else if (old) {
          const final = `${dir}/${old[1]}`;
          try {
            Deno.statSync(final);
            Deno.removeSync(path, { recursive: true });
          } catch {
            Deno.renameSync(path, final);
          }
          removed.push(path);
        }
      } catch { /* gone meanwhile */ }
    }
  }
  return removed;
}
