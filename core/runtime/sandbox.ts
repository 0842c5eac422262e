/**
 * The sandbox of a task: the folders it may read and write, checked on real paths.
 *
 * Deno's `--allow-read=.` and `--allow-write=reports` compare path strings and then follow
 * symbolic links, so a link inside `reports/` that points elsewhere would let a write out. Every
 * read and write of the harness therefore goes through {@link checkRead} / {@link checkWrite}: the
 * path's deepest existing ancestor is resolved with its links (`realPath`), and the result must lie
 * in one of the allowed roots (themselves resolved). A refusal names the path, never the content
 * of what it points to. Without {@link confine} (library use) nothing is checked.
 */
import { dirname, isAbsolute, join, relative, resolve, sep as SEPARATOR } from "node:path";

/** A path outside the folders a task may use. */
export class SandboxError extends Error {
  override name = "SandboxError";
}

let roots: { read: string[]; write: string[]; shown: string } | null = null;

/**
 * The real path of `path`: its deepest existing ancestor with every link resolved, the rest (not
 * yet created) appended as it is.
 */
export function realPath(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  let head = abs;
  for (;;) {
    try {
      const real = Deno.realPathSync(head);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch (e) {
      // A path this task may not even stat resolves to itself (and is then refused by the caller).
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        return abs;
      }
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      const up = dirname(head);
      if (up === head) return abs;
      rest.push(head.slice(up.length + (up.endsWith("/") ? 0 : 1)));
      head = up;
    }
  }
}

/**
 * Is `path` equal to or inside `dir` (both absolute, real)? Its relative path must not climb out
 * (`..` or `../...`); a name that merely starts with two dots (`..b`) is inside.
 */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== ".." && !rel.startsWith(`..${SEPARATOR}`) && !isAbsolute(rel);
}

/**
 * Confine this thread's harness I/O: reads must resolve inside one of `read`, writes inside one
 * of `write` (paths resolved when confining). `shown` is the folder paths are shown relative to.
 */
export function confine(o: { read: string[]; write: string[]; shown: string }): void {
  roots = { read: o.read.map(realPath), write: o.write.map(realPath), shown: realPath(o.shown) };
}

/** Lift the confinement (tests). */
export function unconfine(): void {
  roots = null;
}

function show(path: string): string {
  if (!roots) return path;
  const rel = relative(roots.shown, resolve(path));
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** The real path of `path` if this thread may read it; a {@link SandboxError} naming `what` else. */
export function checkRead(path: string, what: string): string {
  const real = realPath(path);
  if (roots && !roots.read.some((r) => isInside(real, r))) {
    throw new SandboxError(
      `${what} ${
        show(path)
      } lies outside the folders this task may read (symbolic links are followed)`,
    );
  }
  return real;
}

/** The real path of `path` if this thread may write it; a {@link SandboxError} naming `what` else. */
export function checkWrite(path: string, what: string): string {
  const real = realPath(path);
  if (roots && !roots.write.some((r) => isInside(real, r))) {
    throw new SandboxError(
      `${what} ${
        show(path)
      } lies outside the folders this task may write (symbolic links are followed)`,
    );
  }
  return real;
}
