/**
 * The few `node:path` functions the shared modules import, for the browser bundle (POSIX paths;
 * in a browser they only ever see URL pathnames, and no file is read).
 */

function normalize(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out;
}

/** The path separator (POSIX). */
export const sep = "/";

/** Whether a path is absolute. */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** Join and normalise path segments. */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  const body = normalize(joined.split("/")).join("/");
  return (isAbsolute(joined) ? "/" : "") + (body || (isAbsolute(joined) ? "" : "."));
}

/** The absolute, normalised path of the segments (from "/" when none is absolute). */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    path = parts[i] + (path ? "/" + path : "");
  }
  return "/" + normalize(path.split("/")).join("/");
}

/** The folder of a path. */
export function dirname(p: string): string {
  const parts = resolve(p).split("/");
  parts.pop();
  return parts.join("/") || "/";
}

/** The path from `from` to `to`. */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean), b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}
