/** Running the project's tasks from tests, as a user runs them. */
import { PROJECT_ROOT } from "../../core/runtime/root.ts";
import { mapConcurrent } from "./concurrent.ts";

/** Run `deno task <args>` in the project; returns exit code and output. */
export async function task(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", CI: "" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Run several tasks, `concurrency` processes at a time (they must not write the same files); the
 * results in the given order. The bad-flags test's 35 refusals took 23 s one at a time and 14 s
 * two at a time (2 cores): each is mostly a process starting on one core.
 */
export function tasks(
  argsList: string[][],
  concurrency = 2,
): Promise<{ code: number; stdout: string; stderr: string }[]> {
  return mapConcurrent(argsList, concurrency, task);
}
