/**
 * The `reproduce` command line. One table of flags ({@link FLAGS}) drives parsing, the usage text
 * and the README's flag table (`flagsMarkdown`, checked by a test). Bad flags are refused before any
 * work with an error that names the flag and its allowed values (exit code 2); an interrupt
 * (SIGINT/SIGTERM) removes every partial output and exits 130/143; a failed run or golden check
 * exits 1.
 */
import { parseArgs } from "node:util";
import { isAbsolute, join, resolve } from "node:path";
import type { AnyExperiment, ProfileName } from "./experiment.ts";
import { PROFILE_NAMES } from "./experiment.ts";
import { ConfigError, USAGE_EXIT } from "../spec/rules.ts";
import { defaultProgressMode } from "./progress.ts";
import { reproduce, type ReproduceOptions, terminateWorkers } from "./runner.ts";
import { renewGoldens } from "./renew.ts";
import type { Shard } from "./plan.ts";
import { removeLeftovers, removeStagedDirectories, removeTempFiles } from "../runtime/io.ts";
import { confine, isInside, realPath, SandboxError } from "../runtime/sandbox.ts";
import { PROJECT_ROOT } from "../runtime/root.ts";
import { onInterruptRequest } from "./interrupt.ts";

export { PROJECT_ROOT };

/** One flag of `reproduce`: its name, value, meaning. */
export interface FlagSpec {
  name: string;
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in the usage text ("N", "a,b"). */
  value?: string;
  help: string;
  /** Testing and task plumbing: in the usage text, not in the README table. */
  internal?: boolean;
}

/** Every flag of `reproduce`, in usage order. */
export const FLAGS: FlagSpec[] = [
  {
    name: "only",
    type: "string",
    value: "a,b",
    help: "run only these experiments (an unknown name is an error listing the known ones)",
  },
  {
    name: "profile",
    type: "string",
    value: "P",
    help:
      "`full` = the seed texts' settings (the default of reproduce); `quick` = a small smoke version",
  },
  {
    name: "sweep",
    type: "boolean",
    help:
      "run every seed of each experiment's golden distribution (seeds 0..n-1) instead of its one run; the sweep gate judges them against the golden's seeds",
  },
  {
    name: "seed",
    type: "string",
    value: "N",
    help:
      "seed of every random stream (default: each experiment's own); a seed the golden holds is checked bit for bit, any other only for quality",
  },
  {
    name: "out",
    type: "string",
    value: "DIR",
    help: "write all outputs under `DIR`, a folder under `reports/` (`DIR/index.html` included)",
  },
  {
    name: "set",
    type: "string",
    multiple: true,
    value: "exp.field=V",
    help:
      'override one config field by its dotted path (`ddpm-ring8.train.epochs=10`); V is JSON (`10`, `0.5`, `"name"`, `[64,64]`), validated like the rest; the run is then not compared with its golden',
  },
  {
    name: "update-golden",
    type: "boolean",
    help:
      "renew `fixtures/golden/` (only through `deno task update-golden`): every seed of both profiles (or `--profile`), judged against the old golden first",
  },
  {
    name: "reason",
    type: "string",
    value: "TEXT",
    help:
      "with `--update-golden`: why a golden whose quality regressed is right (stored in the golden); without it such a golden is refused",
  },
  { name: "list", type: "boolean", help: "list the experiments" },
  {
    name: "workers",
    type: "string",
    value: "N",
    help:
      "run experiments side by side on N Deno workers, each with its own tfjs (default: the CPU count; 0 = in this thread). Results are identical for any N",
  },
  {
    name: "shard",
    type: "string",
    value: "i/n",
    help: "run only part i (1-based) of n of the planned runs (below)",
  },
  {
    name: "shard-index",
    type: "string",
    value: "K",
    help: "with `--shard-count N`: the same with a 0-based K, as engines number their jobs",
  },
  { name: "shard-count", type: "string", value: "N", help: "see `--shard-index`" },
  {
    name: "resume",
    type: "boolean",
    help:
      "continue interrupted training from its checkpoints; outputs are byte-identical to an uninterrupted run",
  },
  {
    name: "checkpoint-every",
    type: "string",
    value: "N",
    help: "training steps between checkpoints (default 1000)",
  },
  {
    name: "ci",
    type: "string",
    value: "V",
    help:
      "`true`, `1` or `yes` (any case) make a missing golden fail the run (default: the `CI` environment variable)",
  },
  {
    name: "fault-interrupt-after-checkpoint",
    type: "string",
    value: "N",
    help:
      "testing hook: interrupt as SIGTERM does right after a run saved its N-th checkpoint (1-1000000)",
    internal: true,
  },
  {
    name: "fault-write-delay-ms",
    type: "string",
    value: "N",
    help: "testing hook: pause N ms (0-60000) after each output file is staged",
    internal: true,
  },
  { name: "help", type: "boolean", short: "h", help: "this text" },
];

const PARSE_OPTIONS = Object.fromEntries(
  FLAGS.map((f) => [
    f.name,
    {
      type: f.type,
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short ? { short: f.short } : {}),
    },
  ]),
) as Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

/** The usage text, from {@link FLAGS}. */
export function usage(): string {
  const lines = ["usage: deno task reproduce [flags]"];
  for (const f of FLAGS) {
    const head = `  --${f.name}${f.value ? ` ${f.value}` : ""}`;
    const text = f.help.replaceAll("`", "");
    lines.push(
      head.length < 24 ? `${head.padEnd(24)}${text}` : `${head}\n${" ".repeat(24)}${text}`,
    );
  }
  return lines.join("\n");
}

/** The README's flag table, from {@link FLAGS}. */
export function flagsMarkdown(): string {
  const rows = FLAGS.filter((f) => !f.internal && f.name !== "help").map((f) => [
    `\`--${f.name}${f.value ? ` ${f.value}` : ""}\``,
    f.help,
  ]);
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(7, ...rows.map((r) => r[1].length));
  return [
    `| ${"flag".padEnd(w0)} | ${"meaning".padEnd(w1)} |`,
    `| ${"-".repeat(w0)} | ${"-".repeat(w1)} |`,
    ...rows.map((r) => `| ${r[0].padEnd(w0)} | ${r[1].padEnd(w1)} |`),
  ].join("\n");
}

/** Parsed, validated command line. */
export type CliOptions = Omit<ReproduceOptions, "root" | "progress" | "profile"> & {
  /** The profile, or undefined when not given (update-golden then renews both). */
  profile?: ProfileName;
  updateGolden: boolean;
  reason?: string;
  list: boolean;
  help: boolean;
};

const known = () => FLAGS.map((f) => `--${f.name}`).join(", ");

/** Parse and validate the flags (throws ConfigError naming the flag and its allowed values). */
export function parseCli(
  args: string[],
  all: AnyExperiment[],
  root = PROJECT_ROOT,
  ciEnv = "",
): CliOptions {
  let v: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    v = parseArgs({ args, options: PARSE_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const msg = (e as Error).message;
    const flag = /'(--?[A-Za-z-]+)/.exec(msg)?.[1] ?? "command line";
    if (/ambiguous/.test(msg)) {
      const at = args.indexOf(flag);
      throw new ConfigError(
        flag,
        args[at + 1],
        `a value; one starting with '-' must be written ${flag}=VALUE`,
      );
    }
    if (/missing/.test(msg)) throw new ConfigError(flag, undefined, "a value after the flag");
    if (/Unknown option/.test(msg)) {
      throw new ConfigError(`flag ${flag}`, flag, `one of ${known()}`);
    }
    if (/positional/.test(msg)) {
      const { positionals } = parseArgs({
        args,
        options: PARSE_OPTIONS,
        strict: false,
        allowPositionals: true,
      });
      throw new ConfigError("command line", positionals.join(" "), `flags only: ${known()}`);
    }
    throw new ConfigError("command line", args.join(" "), `${known()} (${msg})`);
  }
  const str = (name: string) => v[name] as string | undefined;
  // A flag given twice keeps only its last value in parseArgs: refuse it instead.
  for (const f of FLAGS.filter((f) => !f.multiple)) {
    const given = args.filter((a) =>
      a === `--${f.name}` || a.startsWith(`--${f.name}=`) || (f.short && a === `-${f.short}`)
    );
    if (given.length > 1) throw new ConfigError(`--${f.name}`, given.join(" "), "the flag once");
  }
  const names = all.map((e) => e.name);
  let experiments = all;
  const only = str("only");
  if (only !== undefined) {
    const asked = only.split(",").map((s) => s.trim()).filter(Boolean);
    if (asked.length === 0) {
      throw new ConfigError("--only", only, `a comma-separated list of ${names.join(", ")}`);
    }
    for (const a of asked) {
      if (!names.includes(a)) {
        throw new ConfigError("--only", a, `experiment names: ${names.join(", ")}`);
      }
    }
    experiments = all.filter((e) => asked.includes(e.name));
  }
  const profileText = str("profile");
  if (profileText !== undefined && !PROFILE_NAMES.includes(profileText as ProfileName)) {
    throw new ConfigError("--profile", profileText, PROFILE_NAMES.join(", "));
  }
  const profile = profileText as ProfileName | undefined;
  const updateGolden = (v["update-golden"] as boolean | undefined) ?? false;
  const sweep = (v.sweep as boolean | undefined) ?? false;
  const reason = str("reason");
  if (reason !== undefined && (!updateGolden || reason.trim().length < 10)) {
    throw new ConfigError(
      "--reason",
      reason,
      "with --update-golden only: a sentence (10+ characters) saying why the new values are right",
    );
  }
  const shard = parseShard(str("shard"), str("shard-index"), str("shard-count"));
  let seed: number | undefined;
  const seedText = str("seed");
  if (seedText !== undefined) {
    seed = Number(seedText);
    if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(seed) || seed > 2 ** 31 - 1) {
      throw new ConfigError("--seed", seedText, "an integer in [0, 2147483647]");
    }
  }
  if (updateGolden) {
    for (
      const [flag, given] of [["--seed", seed], ["--shard", shard], ["--sweep", sweep || undefined]]
    ) {
      if (given !== undefined) {
        throw new ConfigError(
          flag as string,
          given,
          "not with --update-golden (it runs every seed of the profiles)",
        );
      }
    }
  }
  const out = str("out");
  const outDir = out === undefined ? reportsDir(root) : underReports("--out", out, root);
  let workers = Math.max(1, navigator.hardwareConcurrency ?? 1);
  const workersText = str("workers");
  if (workersText !== undefined) {
    workers = Number(workersText);
    if (!/^\d+$/.test(workersText) || workers > 64) {
      throw new ConfigError(
        "--workers",
        workersText,
        "an integer in [0, 64] (0: run in this thread)",
      );
    }
  }
  const checkpointEvery = intFlag("--checkpoint-every", str("checkpoint-every"), 1, 1e9, 1000);
  const writeDelayMs = intFlag("--fault-write-delay-ms", str("fault-write-delay-ms"), 0, 60_000, 0);
  const interruptText = str("fault-interrupt-after-checkpoint");
  const faultInterruptAfterCheckpoint = interruptText === undefined
    ? undefined
    : intFlag("--fault-interrupt-after-checkpoint", interruptText, 1, 1_000_000, 1);
  const ciFlag = str("ci");
  const ciText = ciFlag ?? ciEnv;
  if (!/^(true|false|1|0|yes|no|)$/i.test(ciText.trim())) {
    throw new ConfigError(
      ciFlag === undefined ? "CI (environment variable)" : "--ci",
      ciText,
      'true, false, 1, 0, yes, no (any case) or ""',
    );
  }
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const s of (v.set as string[] | undefined) ?? []) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)=(.*)$/s.exec(s);
    const allowed = `experiment.field=JSON value, with experiment one of ${names.join(", ")}`;
    if (!m) throw new ConfigError("--set", s, allowed);
    if (!names.includes(m[1])) throw new ConfigError("--set", s, allowed);
    if (!experiments.some((e) => e.name === m[1])) {
      // Never silently ignored: the user believes the override is in force.
      throw new ConfigError(
        "--set",
        s,
        `an override of an experiment this command runs (--only ${
          experiments.map((e) => e.name).join(",")
        }); ${m[1]} is not among them`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(m[3]);
    } catch {
      throw new ConfigError(
        `--set ${m[1]}.${m[2]}`,
        m[3],
        `a JSON value (a string needs its quotes: --set '${m[1]}.${m[2]}="${m[3]}"')`,
      );
    }
    const fields = (overrides[m[1]] ??= {});
    if (Object.hasOwn(fields, m[2])) {
      throw new ConfigError(`--set ${m[1]}.${m[2]}`, value, "each field set once");
    }
    fields[m[2]] = value;
  }
  if (updateGolden && Object.keys(overrides).length) {
    throw new ConfigError(
      "--set",
      v.set,
      "not with --update-golden (goldens are for the profiles' own configs)",
    );
  }
  return {
    outDir,
    experiments,
    profile,
    sweep,
    seed,
    overrides,
    shard,
    updateGolden,
    reason,
    ci: /^(true|1|yes)$/i.test(ciText.trim()),
    workers,
    writeDelayMs,
    faultInterruptAfterCheckpoint,
    resume: (v.resume as boolean | undefined) ?? false,
    checkpointEvery,
    list: (v.list as boolean | undefined) ?? false,
    help: (v.help as boolean | undefined) ?? false,
  };
}

function intFlag(flag: string, text: string | undefined, min: number, max: number, dflt: number) {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new ConfigError(flag, text, `an integer in [${min}, ${max}]`);
  }
  return n;
}

/**
 * The project's `reports/` as given (`root/reports`), after checking that its real path lies inside
 * the project: a `reports/` that is a symbolic link out of it would carry every write of every task
 * outside (Deno's `--allow-write=reports` follows the link). Refused before any work.
 */
export function reportsDir(root = PROJECT_ROOT): string {
  if (!isInside(realPath(join(root, "reports")), realPath(root))) {
    throw new ConfigError(
      "reports/",
      undefined,
      "",
      "a symbolic link out of the project; allowed: a folder inside the project (every write of a task stays inside it; links are followed): make reports/ a folder",
    );
  }
  return join(root, "reports");
}

/**
 * A folder under `reports/` (the only place the tasks may write), or a ConfigError naming `flag`.
 * Symbolic links are followed: a path that resolves outside `reports/` is refused, as is a file.
 */
export function underReports(flag: string, value: string, root = PROJECT_ROOT): string {
  const allowed = "a folder under reports/ (for example reports/run-1), without '..'";
  if (value.split(/[\\/]/).includes("..") || value.trim() === "") {
    throw new ConfigError(flag, value, allowed);
  }
  const reports = realPath(reportsDir(root));
  const dir = realPath(isAbsolute(value) ? value : resolve(root, value));
  if (!isInside(dir, reports)) {
    throw new ConfigError(flag, value, `${allowed}; symbolic links are followed`);
  }
  try {
    if (!Deno.statSync(dir).isDirectory) {
      throw new ConfigError(flag, value, `${allowed}; it is a file`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return dir;
}

/** `--shard i/n` (1-based) or `--shard-index K --shard-count N` (0-based K), validated. */
function parseShard(
  text: string | undefined,
  index: string | undefined,
  count: string | undefined,
): Shard | undefined {
  const int = (s: string) => /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
  if (text !== undefined) {
    if (index !== undefined || count !== undefined) {
      throw new ConfigError(
        "--shard",
        text,
        "either --shard i/n or --shard-index with --shard-count",
      );
    }
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
    if (!m || n < 1 || n > 1000 || i < 1 || i > n) {
      throw new ConfigError("--shard", text, "i/n with 1 <= i <= n <= 1000 (for example 2/3)");
    }
    return { index: i - 1, count: n };
  }
  if (index === undefined && count === undefined) return undefined;
  if (count === undefined) {
    throw new ConfigError("--shard-count", undefined, "a count (1-1000) with --shard-index");
  }
  const n = int(count);
  if (!(n >= 1 && n <= 1000)) {
    throw new ConfigError("--shard-count", count, "an integer in [1, 1000]");
  }
  if (index === undefined) {
    throw new ConfigError(
      "--shard-index",
      undefined,
      `an index in [0, ${n - 1}] with --shard-count`,
    );
  }
  const k = int(index);
  if (!(k >= 0 && k < n)) {
    throw new ConfigError("--shard-index", index, `an integer in [0, ${n - 1}] (0-based)`);
  }
  return { index: k, count: n };
}

async function canWrite(path: string): Promise<boolean> {
  return (await Deno.permissions.query({ name: "write", path })).state === "granted";
}

function interruptHandler(signal: Deno.Signal, code: number, outDir: string) {
  return () => {
    terminateWorkers();
    removeTempFiles();
    removeStagedDirectories();
    // Leftovers of this process: staged run folders (`<exp>`, `<exp>/runs/<id>`), temp files
    // beside the pages, goldens and checkpoints.
    const sweeps = subfolders(outDir).map((d) => join(d, "runs"));
    removeLeftovers([
      outDir,
      join(outDir, "assets"),
      ...subfolders(outDir),
      ...sweeps,
      ...sweeps.flatMap(subfolders),
      join(PROJECT_ROOT, "fixtures", "golden"),
      ...subfolders(join(outDir, ".checkpoints")),
    ]);

    console.error(`\ninterrupted (${signal}): partial outputs removed, earlier files untouched`);
    Deno.exit(code);
  };
}

function onSignal(signal: Deno.Signal, code: number, outDir: string) {
  const handler = interruptHandler(signal, code, outDir);
  Deno.addSignalListener(signal, handler);
  return () => Deno.removeSignalListener(signal, handler);
}

/** Run `reproduce` with the given arguments; returns the exit code. */
export async function main(
  args: string[],
  all: AnyExperiment[],
  workerModule?: string,
): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(args, all, PROJECT_ROOT, ciEnvironment());
    if (opts.updateGolden && !(await canWrite(join(PROJECT_ROOT, "fixtures")))) {
      throw new ConfigError(
        "--update-golden",
        true,
        "only with write access to fixtures/: run `deno task update-golden` (reproduce may write only reports/)",
      );
    }
    if (!(await canWrite(opts.outDir))) {
      throw new ConfigError("--out", opts.outDir, "a folder this task may write (under reports/)");
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`error: ${e.message}\n\n${usage()}`);
      return USAGE_EXIT;
    }
    throw e;
  }
  if (opts.help) {
    console.log(usage());
    return 0;
  }
  if (opts.list) {
    for (const e of all) console.log(`${e.name.padEnd(30)} ${e.title}`);
    return 0;
  }
  confine({
    read: [PROJECT_ROOT],
    write: [
      join(PROJECT_ROOT, "reports"),
      ...(opts.updateGolden ? [join(PROJECT_ROOT, "fixtures", "golden")] : []),
    ],
    shown: PROJECT_ROOT,
  });
  const off = [onSignal("SIGINT", 130, opts.outDir), onSignal("SIGTERM", 143, opts.outDir)];
  onInterruptRequest(interruptHandler("SIGTERM", 143, opts.outDir));
  try {
    const common = { ...opts, root: PROJECT_ROOT, progress: defaultProgressMode(), workerModule };
    const { exitCode } = opts.updateGolden
      ? await renewGoldens({
        ...common,
        profiles: opts.profile ? [opts.profile] : [...PROFILE_NAMES].reverse() as ProfileName[],
        reason: opts.reason,
      })
      : await reproduce({ ...common, profile: opts.profile ?? "full" });
    return exitCode;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SandboxError) {
      console.error(`error: ${e.message}`);
      return USAGE_EXIT;
    }
    console.error(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    off.forEach((f) => f());
  }
}

/** The folders directly inside `dir` (none if it does not exist). */
function subfolders(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** The `CI` environment variable ("" when unset or not readable). */
export function ciEnvironment(): string {
  try {
    return Deno.env.get("CI") ?? "";
  } catch {
    return "";
  }
}
