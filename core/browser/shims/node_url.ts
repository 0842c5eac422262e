/** The `node:url` functions the shared modules import, for the browser bundle. */

/** The pathname of a URL (the browser's pages are http(s) or file URLs). */
export function fileURLToPath(url: string | URL): string {
  return decodeURIComponent(new URL(url).pathname);
}

/** A file URL of a path. */
export function pathToFileURL(path: string): URL {
  return new URL("file://" + path);
}
