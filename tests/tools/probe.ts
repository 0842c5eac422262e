/**
 * Run under the `reproduce` task's permission flags by the security test: try what the task must
 * not be able to do, and report what the runtime did (JSON on stdout).
 */
const out: Record<string, string> = {};
async function attempt(name: string, f: () => Promise<unknown> | unknown) {
  try {
    await f();
    out[name] = "allowed";
  } catch (e) {
    out[name] = (e as Error).name;
  }
}
await attempt("writeOutsideReports", () => Deno.writeTextFile("fixtures/probe.txt", "x"));
await attempt("writeTmp", () => Deno.writeTextFile("/tmp/scorelab-probe.txt", "x"));
await attempt("readOutsideProject", () => Deno.readTextFile("/etc/hostname"));
await attempt("network", () => fetch("http://127.0.0.1:8080/"));
await attempt("env", () => Deno.env.get("HOME"));
await attempt("run", () => new Deno.Command("true").output());
await attempt("writeReports", async () => {
  await Deno.writeTextFile("reports/.probe.txt", "x");
  await Deno.remove("reports/.probe.txt");
});
console.log(JSON.stringify(out));
