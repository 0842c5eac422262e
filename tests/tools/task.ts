/** Running the project's tasks from tests, as a user runs them. */
import { PROJECT_ROOT } from "../../core/runtime/root.ts";

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
