/**
 * Hostile input, as an adversarial user would try it: each case is run through the real task in
 * a subprocess by `tests/hostile_test.ts` (exit code, message, no stack trace, nothing written
 * outside what the case set up), and the README's table of refusals is generated from this list
 * (`deno task docs`).
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../core/runtime/root.ts";

/**
 * Where the cases put what they set up: inside reports/ (one per clone), and outside the project,
 * one folder per test process (two clones' suites running at once must not remove each other's).
 */
export const HOSTILE_DIR = "reports/test-hostile";
export const OUTSIDE_DIR = `/tmp/scorelab-hostile-outside-${Deno.pid}`;

/** A secret a refused file holds: it must never appear in any output. */
export const SECRET = "TOP-SECRET-LINE-7f3a";

/** One hostile input. */
export interface HostileCase {
  /** The README's group. */
  group: string;
  /** What the user tries. */
  input: string;
  task: "reproduce" | "merge" | "publish";
  args: string[];
  /** Creates what the case needs (under HOSTILE_DIR or OUTSIDE_DIR). */
  setup?: () => Promise<void>;
  exit: number;
  /** The message must match. */
  message: RegExp;
  /** The README's description of the refusal. */
  refusal: string;
}

const at = (...p: string[]) => join(PROJECT_ROOT, HOSTILE_DIR, ...p);
const write = async (path: string, text: string) => {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
};
/** A symbolic link (with `ln -s`: Deno.symlink needs unscoped permissions). */
export async function symlink(target: string, path: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const r = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  if (!r.success) throw new Error(`ln -s ${target} ${path}: ${new TextDecoder().decode(r.stderr)}`);
}
const link = (path: string, target: string) => symlink(target, path);
const secretFile = async () => {
  await Deno.mkdir(OUTSIDE_DIR, { recursive: true });
  await Deno.writeTextFile(join(OUTSIDE_DIR, "secret.csv"), `${SECRET}\n1,2\n3,4\n`);
};
const csv = (file: string) => ["--set", `ddpm-ring8.data.dataset="csv:${HOSTILE_DIR}/${file}"`];
const ring8 = ["--profile", "quick", "--only", "ddpm-ring8"];

/** Every case, in README order. */
export const HOSTILE_CASES: HostileCase[] = [
  {
    group: "links",
    input: "`--out` a folder under reports/ that is a symbolic link out of the project",
    task: "reproduce",
    args: [...ring8, "--out", `${HOSTILE_DIR}/out-link`],
    setup: async () => {
      await Deno.mkdir(OUTSIDE_DIR, { recursive: true });
      await link(at("out-link"), OUTSIDE_DIR);
    },
    exit: 2,
    message: /--out: .*symbolic links are followed/,
    refusal: "exit 2 before any work: `--out` must resolve inside reports/ (links followed)",
  },
  {
    group: "links",
    input: "a subfolder of the output (`assets/`) that is a link out of the project",
    task: "reproduce",
    args: [...ring8, "--out", `${HOSTILE_DIR}/site`],
    setup: async () => {
      await Deno.mkdir(OUTSIDE_DIR, { recursive: true });
      await link(at("site", "assets"), OUTSIDE_DIR);
    },
    exit: 2,
    message: /output .*assets.* lies outside the folders this task may write/,
    refusal: "exit 2 before any run: every write is checked on its real path",
  },
  {
    group: "links",
    input: "a `csv:` data file that is a link to a file outside the project",
    task: "reproduce",
    args: [...ring8, ...csv("data-link.csv")],
    setup: async () => {
      await secretFile();
      await link(at("data-link.csv"), join(OUTSIDE_DIR, "secret.csv"));
    },
    exit: 2,
    message: /dataset: .*lies outside the project \(symbolic links are followed\)/,
    refusal: "exit 2, the file named, nothing read: its content never appears in a message",
  },
  {
    group: "config",
    input: "a field named like JavaScript's object machinery: `--set ddpm-ring8.constructor=1`",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.constructor=1"],
    exit: 2,
    message: /ddpm-ring8\.constructor: got 1; allowed: no such field; known fields: data/,
    refusal: "exit 2: no such field, the known fields listed",
  },
  {
    group: "config",
    input: "`--set ddpm-ring8.__proto__.epochs=1` (prototype pollution)",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.__proto__.epochs=1"],
    exit: 2,
    message: /ddpm-ring8\.__proto__: .*no such field/,
    refusal: "exit 2: no such field",
  },
  {
    group: "config",
    input: "a list item past the end: `--set ddpm-ring8.model.hidden.5=64` (it would leave a hole)",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.model.hidden.5=64"],
    exit: 2,
    message: /ddpm-ring8\.model\.hidden\.5: got 64; allowed: an index of the list in \[0, 1\]/,
    refusal: "exit 2: the list's index range named",
  },
  {
    group: "config",
    input: "the same field set twice",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.train.epochs=2", "--set", "ddpm-ring8.train.epochs=3"],
    exit: 2,
    message: /--set ddpm-ring8\.train\.epochs: got 3; allowed: each field set once/,
    refusal: "exit 2: each field once",
  },
  {
    group: "config",
    input:
      "an override of an experiment the command does not run (`--set ring-demo.x=1 --only ddpm-ring8`)",
    task: "reproduce",
    args: [...ring8, "--set", "ring-demo.x=1"],
    exit: 2,
    message: /--set: got "ring-demo\.x=1"; allowed: an override of an experiment this command runs/,
    refusal: "exit 2: never silently ignored",
  },
  {
    group: "config",
    input: "a value that is not JSON: `--set ddpm-ring8.sample.variance=posterior`",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.sample.variance=posterior"],
    exit: 2,
    message: /allowed: a JSON value \(a string needs its quotes/,
    refusal: "exit 2: strings need their JSON quotes (never silently a string)",
  },
  {
    group: "config",
    input: "a value that cannot work: β = 1 (`--set ddpm-ring8.chain.betaEnd=1`)",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.chain.betaEnd=1"],
    exit: 2,
    message:
      /ddpm-ring8\.chain\.betaEnd: got 1; allowed: a per-step noise rate: a finite number > 0 and < 1/,
    refusal: "exit 2: the field's physical range named",
  },
  {
    group: "config",
    input: "a solver tolerance of 1e-300",
    task: "reproduce",
    args: [
      "--profile",
      "quick",
      "--only",
      "nll-oracle",
      "--set",
      "nll-oracle.check.tolerance=1e-300",
    ],
    exit: 2,
    message:
      /nll-oracle\.check\.tolerance: got 1e-300; allowed: a solver tolerance: a finite number in \[1e-10, 1\]/,
    refusal: "exit 2: the range named",
  },
  {
    group: "config",
    input: "an epoch count whose steps could not be allocated (`epochs=999999`)",
    task: "reproduce",
    args: [...ring8, "--set", "ddpm-ring8.train.epochs=999999"],
    exit: 2,
    message:
      /ddpm-ring8\.train\.epochs: got 999999; allowed: an integer <= 526315 \(19 steps per epoch/,
    refusal: "exit 2: the step budget (10⁷ steps) across fields",
  },
  {
    group: "numbers",
    input: "a CSV cell beyond float32 (`1e39`)",
    task: "reproduce",
    args: [...ring8, ...csv("huge.csv")],
    setup: () => write(at("huge.csv"), "x,y\n1,2\n1e39,3\n"),
    exit: 2,
    message: /huge\.csv:3:1: column x is "1e39"; allowed: a number whose magnitude fits float32/,
    refusal: "exit 2: the stored (float32) value is what is checked; file, line, column named",
  },
  {
    group: "numbers",
    input: "a CSV cell in hexadecimal (`0x10`)",
    task: "reproduce",
    args: [...ring8, ...csv("hex.csv")],
    setup: () => write(at("hex.csv"), "x,y\n0x10,1\n2,3\n"),
    exit: 2,
    message: /hex\.csv:2:1: column x is "0x10"; allowed: a finite number in decimal notation/,
    refusal: "exit 2: decimal notation only",
  },
  {
    group: "numbers",
    input: "a CSV with bare CR line ends and a bad cell",
    task: "reproduce",
    args: [...ring8, ...csv("cr.csv")],
    setup: () => write(at("cr.csv"), `x,y\r1,2\r${"9".repeat(200)}z,3\r`),
    exit: 2,
    message: /cr\.csv:3:1: column x is "9{37}\.\.\."; allowed/,
    refusal: "exit 2: lines split on CR too; a quoted cell is cut to 40 characters",
  },
  {
    group: "state",
    input: "`merge` of a shard whose summary.json is corrupt",
    task: "merge",
    args: [`${HOSTILE_DIR}/shard-a`, "--out", `${HOSTILE_DIR}/merged`],
    setup: () => write(at("shard-a", "summary.json"), '{"shard": {"index": 0, "cou'),
    exit: 2,
    message: /shard-a: summary\.json is not valid JSON/,
    refusal: "exit 2, the folder named",
  },
  {
    group: "state",
    input: "`merge` of a shard whose summary.json is `null`",
    task: "merge",
    args: [`${HOSTILE_DIR}/shard-b`, "--out", `${HOSTILE_DIR}/merged`],
    setup: () => write(at("shard-b", "summary.json"), "null"),
    exit: 2,
    message: /shard-b: summary\.json is not a JSON object/,
    refusal: "exit 2, the folder named",
  },
  {
    group: "state",
    input: "`--resume` with a corrupt checkpoint",
    task: "reproduce",
    args: [...ring8, "--resume", "--out", `${HOSTILE_DIR}/resume`],
    setup: () =>
      write(at("resume", ".checkpoints", "ddpm-ring8", "0-train.json"), '{"identity": {"exp'),
    exit: 2,
    message: /--resume: corrupt checkpoint .*0-train\.json: remove it/,
    refusal: "exit 2 before any work, the file named (never a silent start-over)",
  },
  {
    group: "flags",
    input: "`--out` onto an existing file",
    task: "reproduce",
    args: [...ring8, "--out", `${HOSTILE_DIR}/a-file`],
    setup: () => write(at("a-file"), "not a folder\n"),
    exit: 2,
    message: /--out: .*it is a file/,
    refusal: "exit 2 (not an OS error)",
  },
  {
    group: "flags",
    input: "a bad value of a testing hook (`--fault-write-delay-ms soon`)",
    task: "reproduce",
    args: [...ring8, "--fault-write-delay-ms", "soon"],
    exit: 2,
    message: /--fault-write-delay-ms: got "soon"; allowed: an integer in \[0, 60000\]/,
    refusal: "exit 2: hooks are validated like every flag",
  },
  {
    group: "flags",
    input: "a flag given twice (`--profile quick --profile full`)",
    task: "reproduce",
    args: ["--profile", "quick", "--profile", "full"],
    exit: 2,
    message: /--profile: .*allowed: the flag once/,
    refusal: "exit 2: never the last one silently",
  },
];

/** The README's table of refusals, from {@link HOSTILE_CASES} and the in-process checks. */
export function refusalsMarkdown(): string {
  const rows = [
    ...HOSTILE_CASES.map((c) => [c.group, c.input, c.refusal]),
    [
      "links",
      "`reports/` itself a symbolic link out of the project (or `reports/.reproduce/`, where `publish` bundles)",
      "exit 2 before any work or bundling, for every task that writes (tests/hostile_test.ts)",
    ],
    [
      "state",
      "a truncated or hand-edited golden file: a figure moved, a gate weakened, a seed dropped (or a link out of the project)",
      "exit 2 before any work, the file named (each golden carries the sha256 of its content); update-golden replaces it only with `--reason`, as nothing can judge the renewal",
    ],
    [
      "state",
      "a missing or corrupt `fixtures/costs.json`",
      "a warning: shards are then balanced by run count (never a silent change)",
    ],
    [
      "flags",
      "`CI=True` (capitalised, as some CI systems set it)",
      "means CI (true, 1, yes; any case)",
    ],
    [
      "config",
      "random `--set` paths and values (wrong types, NaN, ±Infinity, huge, negative, holes, prototype names) against every experiment",
      "exit 2 with the field named: `tests/hostile_test.ts` fuzzes the config layer",
    ],
  ];
  const head = ["group", "input", "what happens"];
  const w = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(w[i])).join(" | ")} |`;
  return [line(head), `| ${w.map((n) => "-".repeat(n)).join(" | ")} |`, ...rows.map(line)].join(
    "\n",
  );
}
