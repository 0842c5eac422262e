/**
 * The `reproduce` command line. Bad flags are refused before any work with an error that names the
 * flag and its allowed values (exit code 2); an interrupt (SIGINT/SIGTERM) removes every partial
 * output and exits 130/143; a failed run or golden check exits 1.
 */
import { parseArgs } from "node:util";
import { isAbsolute, join, normalize, relative, resolve } from "node:path";
import type { AnyExperiment, RunProfile } from "./experiment.ts";
import { RUN_PROFILES } from "./experiment.ts";
import { ConfigError, USAGE_EXIT } from "./schema.ts";
import { defaultProgressMode } from "./progress.ts";
import { reproduce, type ReproduceOptions, terminateWorkers } from "./runner.ts";
import type { Shard } from "./plan.ts";
import { removeLeftovers, removeStagedDirectories, removeTempFiles } from "../runtime/io.ts";

import { PROJECT_ROOT } from "./root.ts";

export { PROJECT_ROOT };

const FLAGS = {
  only: { type: "string" },
  profile: { type: "string" },
  seed: { type: "string" },
  "update-golden": { type: "boolean" },
  out: { type: "string" },
  set: { type: "string", multiple: true },
  list: { type: "boolean" },
  ci: { type: "string" },
  workers: { type: "string" },
  "fault-write-delay-ms": { type: "string" },
  resume: { type: "boolean" },
  "checkpoint-every": { type: "string" },
  shard: { type: "string" },
  "shard-index": { type: "string" },
  "shard-count": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `usage: deno task reproduce [flags]
  --only a,b          run only these experiments (see --list)
  --profile P         full (the seeds' settings, default), quick, or sweep (every experiment's
                      grid of runs: seeds x settings, one folder per run)
  --shard i/n         run only part i of n (1-based) of the planned runs, balanced by recorded
                      costs; join the shards' --out folders with \`deno task merge\`
  --shard-index K --shard-count N
                      the same with a 0-based K, as engines number their jobs (a Kubernetes
                      Indexed Job: --shard-index="$JOB_COMPLETION_INDEX" --shard-count=3)
  --seed N            seed for every random stream (default: each experiment's own)
  --out DIR           write outputs under DIR, a folder under reports/ (default reports/)
  --set exp.field=V   override a config field of one experiment (V is JSON: 10, 0.5, "name")
  --update-golden     rewrite fixtures/golden (use: deno task update-golden)
  --list              list the experiments and exit
  --workers N         run experiments on N Deno workers side by side (default: the CPU count);
                      0 runs them in this thread (results are identical either way)
  --resume            continue interrupted training from its checkpoints (outputs are identical
                      to an uninterrupted run's)
  --checkpoint-every N  steps between training checkpoints (default 1000)
  --fault-write-delay-ms N   testing hook: pause N ms after each output file is staged
  --ci=true           a missing golden fails the run (the tasks pass --ci="$CI", so the process


                      needs no environment access)`;

/** Parsed, validated command line. */
export type CliOptions = Omit<ReproduceOptions, "root" | "progress"> & {
  list: boolean;
  help: boolean;
};

/** Parse and validate the flags (throws ConfigError naming the flag and its allowed values). */
export function parseCli(args: string[], all: AnyExperiment[], root = PROJECT_ROOT): CliOptions {
  let v;
  try {
    v = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const msg = (e as Error).message;
    const flag = /'(--?[A-Za-z-]+)/.exec(msg)?.[1] ?? "command line";
    const known = Object.keys(FLAGS).map((f) => `--${f}`).join(", ");
    if (/ambiguous/.test(msg)) {
      const at = args.indexOf(flag);
      throw new ConfigError(
        flag,
        args[at + 1],
        `a value; one starting with '-' must be written ${flag}=VALUE`,
      );
    }
    if (/missing/.test(msg)) throw new ConfigError(flag, undefined, "a value after the flag");
    if (/Unknown option/.test(msg)) throw new ConfigError(`flag ${flag}`, flag, `one of ${known}`);
    if (/positional/.test(msg)) {
      const { positionals } = parseArgs({
        args,
        options: FLAGS,
        strict: false,
        allowPositionals: true,
      });
      throw new ConfigError("command line", positionals.join(" "), `flags only: ${known}`);
    }

    throw new ConfigError("command line", args.join(" "), `${known} (${msg})`);
  }
  const names = all.map((e) => e.name);
  let experiments = all;
  if (v.only !== undefined) {
    const asked = v.only.split(",").map((s) => s.trim()).filter(Boolean);
    if (asked.length === 0) {
      throw new ConfigError("--only", v.only, `a comma-separated list of ${names.join(", ")}`);
    }
    for (const a of asked) {
      if (!names.includes(a)) {
        throw new ConfigError("--only", a, `experiment names: ${names.join(", ")}`);
      }
    }
    experiments = all.filter((e) => asked.includes(e.name));
  }
  const profile = (v.profile ?? "full") as RunProfile;
  if (!RUN_PROFILES.includes(profile)) {
    throw new ConfigError("--profile", v.profile, RUN_PROFILES.join(", "));
  }
  const shard = parseShard(v.shard, v["shard-index"], v["shard-count"]);
  let seed: number | undefined;
  if (v.seed !== undefined) {
    seed = Number(v.seed);
    if (!/^\d+$/.test(v.seed) || !Number.isSafeInteger(seed)) {
      throw new ConfigError("--seed", v.seed, "a non-negative integer");
    }
  }
  const outDir = v.out === undefined ? join(root, "reports") : underReports("--out", v.out, root);
  let workers = Math.max(1, navigator.hardwareConcurrency ?? 1);
  if (v.workers !== undefined) {
    workers = Number(v.workers);
    if (!/^\d+$/.test(v.workers) || workers > 64) {
      throw new ConfigError(
        "--workers",
        v.workers,
        "an integer in [0, 64] (0: run in this thread)",
      );
    }
  }
  let checkpointEvery = 1000;
  if (v["checkpoint-every"] !== undefined) {
    checkpointEvery = Number(v["checkpoint-every"]);
    if (!/^\d+$/.test(v["checkpoint-every"]) || checkpointEvery < 1) {
      throw new ConfigError(
        "--checkpoint-every",
        v["checkpoint-every"],
        "a positive integer (training steps)",
      );
    }
  }
  const overrides: Record<string, Record<string, unknown>> = {};

  for (const s of v.set ?? []) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9_.]+)=(.*)$/s.exec(s);
    const allowed = `experiment.field=JSON value, with experiment one of ${names.join(", ")}`;
    if (!m) throw new ConfigError("--set", s, allowed);
    if (!names.includes(m[1])) throw new ConfigError("--set", s, allowed);
    let value: unknown;
    try {
      value = JSON.parse(m[3]);
    } catch {
      value = m[3];
    }
    (overrides[m[1]] ??= {})[m[2]] = value;
  }
  return {
    outDir,
    experiments,
    profile,
    seed,
    overrides,
    shard,
    updateGolden: v["update-golden"] ?? false,
    ci: v.ci === "true" || v.ci === "1",
    workers,
    writeDelayMs: Number(v["fault-write-delay-ms"] ?? 0) || 0,
    resume: v.resume ?? false,
    checkpointEvery,
    list: v.list ?? false,
    help: v.help ?? false,
  };
}

/** A folder under `reports/` (the only place the tasks may write), or a ConfigError naming `flag`. */
export function underReports(flag: string, value: string, root = PROJECT_ROOT): string {
  const allowed = "a folder under reports/ (for example reports/run-1), without '..'";
  if (value.split(/[\\/]/).includes("..") || value.trim() === "") {
    throw new ConfigError(flag, value, allowed);
  }
  const reports = join(root, "reports");
  const dir = normalize(isAbsolute(value) ? value : resolve(root, value));
  const rel = relative(reports, dir);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new ConfigError(flag, value, allowed);
  return dir;
}

/** `--shard i/n` (1-based) or
 `--shard-index K --shard-count N` (0-based K), validated. */
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

function onSignal(signal: Deno.Signal, code: number, outDir: string) {
  const handler = () => {
    terminateWorkers();
    removeTempFiles();
    removeStagedDirectories();
    // Leftovers of this process: staged run folders (`<exp>`, `<exp>/runs/<id>`), temp files
    // beside the pages, goldens (sweep goldens in `<exp>.sweep/`) and checkpoints.
    const sweeps = subfolders(outDir).map((d) => join(d, "runs"));
    removeLeftovers([
      outDir,
      join(outDir, "assets"),
      ...subfolders(outDir),
      ...sweeps,
      ...sweeps.flatMap(subfolders),
      join(PROJECT_ROOT, "fixtures", "golden"),
      ...subfolders(join(PROJECT_ROOT, "fixtures", "golden")),
      ...subfolders(join(outDir, ".checkpoints")),
    ]);

    console.error(`\ninterrupted (${signal}): partial outputs removed, earlier files untouched`);
    Deno.exit(code);
  };
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
    opts = parseCli(args, all);
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
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return USAGE_EXIT;
    }
    throw e;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (opts.list) {
    for (const e of all) console.log(`${e.name.padEnd(30)} ${e.title}`);
    return 0;
  }
  const off = [onSignal("SIGINT", 130, opts.outDir), onSignal("SIGTERM", 143, opts.outDir)];
  try {
    const { exitCode } = await reproduce({
      ...opts,
      root: PROJECT_ROOT,
      progress: defaultProgressMode(),
      workerModule,
    });
    return exitCode;
  } catch (e) {
    if (e instanceof ConfigError) {
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
