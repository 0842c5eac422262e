/** The project root: the folder holding deno.json, two levels above this file. */
import { fileURLToPath } from "node:url";

/** Absolute path of the project root (no trailing slash). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /\/$/,
  "",
);
