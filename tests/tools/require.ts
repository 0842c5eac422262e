/**
 * Tools the tests need from the machine (Chromium, python3 with numpy). Under CI (`CI` set to
 * true, 1 or yes, any case) a missing tool fails the test: a check that passes by skipping is a
 * failing check. Elsewhere the test skips that part with a warning.
 */

/** Is this a CI run? */
export function isCi(): boolean {
  return /^(true|1|yes)$/i.test((Deno.env.get("CI") ?? "").trim());
}

/** Throw under CI when `value` is null or false; warn otherwise. Returns whether it is there. */
export function requireTool<T>(
  value: T | null | undefined | false,
  tool: string,
  what: string,
): value is T {
  if (value !== null && value !== undefined && value !== false) return true;
  if (isCi()) throw new Error(`${tool} is missing, so ${what} cannot run (CI does not skip)`);
  console.warn(`SKIPPED ${what}: ${tool} is missing`);
  return false;
}
