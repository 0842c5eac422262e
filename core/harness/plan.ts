/**
 * Planning: the runs a `reproduce` invocation performs, each validated before any work starts.
 * A profile gives one run per experiment (its own seed); `--sweep` gives one run per seed of the
 * profile's golden distribution (seeds 0..n-1), each with its own folder. A shard is a
 * deterministic part of all runs, balanced by recorded costs.
 */
import { join } from "node:path";
import { type AnyExperiment, DEFAULT_SEED_COUNTS, type ProfileName } from "./experiment.ts";
import { ConfigError, validateConfig } from "../spec/rules.ts";
import { goldenPath } from "./golden.ts";
import { canonicalJson, sha256 } from "../runtime/io.ts";
import { partGraph } from "./parts.ts";

/** A planned run: an experiment, its validated config and seed, where its outputs and golden go. */
export interface Plan {
  exp: AnyExperiment;
  config: unknown;
  seed: number;
  configHash: string;
  /** "" for a profile's single run; "seed-3" in a sweep. */
  runId: string;
  /** Output folder, relative to the out dir: `<exp>` or `<exp>/runs/<runId>`. */
  folder: string;
  /** The golden file this run is checked against. */
  goldenFile: string;
  profile: ProfileName;
  /** The config has `--set` overrides (it is not the profile's own). */
  overridden: boolean;
  /** The run's parts (each its own job), every one after the parts it needs; or none. */
  parts: string[];
  /** For each part, the parts whose outputs it reads (`Experiment.partNeeds`). */
  needs: Record<string, string[]>;
}

/** The key of a run across shards: `<exp>` or `<exp>/<runId>`. */
export function runKey(p: { exp?: AnyExperiment; name?: string; runId: string }): string {
  const name = p.exp?.name ?? p.name!;
  return p.runId ? `${name}/${p.runId}` : name;
}

/** What selects the runs (recorded by shards so a merge can check they agree). */
export interface Selection {
  profile: ProfileName;
  sweep: boolean;
  experiments: string[];
  seed?: number;
  overrides?: Record<string, Record<string, unknown>>;
}

/** The seeds of an experiment's golden distribution for a profile: 0..n-1. */
export function seedsOf(exp: AnyExperiment, profile: ProfileName): number[] {
  const n = exp.seeds?.[profile] ?? DEFAULT_SEED_COUNTS[profile];
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Apply `field.path = value` overrides to a config copy. A path names fields that exist (a list
 * item by its index, within the list): a new field, an index past the end (which would leave a
 * hole) or a name of JavaScript's object machinery (`__proto__`, `constructor`) is refused.
 */
export function applyOverrides(
  name: string,
  config: unknown,
  overrides: Record<string, unknown>,
): unknown {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split(".");
    let node: unknown = out;
    keys.forEach((k, i) => {
      const at = `${name}.${keys.slice(0, i + 1).join(".")}`;
      const here = node as Record<string, unknown>;
      if (Array.isArray(here)) {
        if (!/^\d+$/.test(k) || Number(k) >= here.length) {
          throw new ConfigError(at, value, `an index of the list in [0, ${here.length - 1}]`);
        }
      } else if (
        typeof here !== "object" || here === null || !Object.hasOwn(here, k) ||
        ["__proto__", "constructor", "prototype"].includes(k)
      ) {
        const known = typeof here === "object" && here !== null ? Object.keys(here).join(", ") : "";
        throw new ConfigError(
          at,
          value,
          known
            ? `no such field; known fields: ${known}`
            : "a field of an object (this is a value)",
        );
      }
      if (i === keys.length - 1) here[k] = value;
      else node = here[k];
    });
  }
  return out;
}

/** Options of {@link plan}. */
export interface PlanOptions {
  /** One run per seed of the profile's golden distribution. */
  sweep?: boolean;
  /** Seed override (not with `sweep`). */
  seed?: number;
  /** Config overrides: experiment name -> dotted field path -> value. */
  overrides?: Record<string, Record<string, unknown>>;
}

/** Every run of the selection, validated (throws ConfigError before any work). */
export async function plan(
  root: string,
  experiments: AnyExperiment[],
  profile: ProfileName,
  o: PlanOptions = {},
): Promise<Plan[]> {
  if (o.sweep && o.seed !== undefined) {
    throw new ConfigError(
      "--seed",
      o.seed,
      "no --seed with --sweep (the sweep runs the golden's seeds)",
    );
  }
  const plans: Plan[] = [];
  for (const exp of experiments) {
    const own = o.overrides?.[exp.name] ?? {};
    const raw = applyOverrides(exp.name, exp.profiles[profile], own);
    const config = validateConfig(exp.name, exp.schema, exp.checks ?? [], raw);
    const configHash = await sha256(canonicalJson(config));
    const graph = partGraph(exp.name, exp.parts?.(config) ?? [], exp.partNeeds?.(config));
    const common = {
      exp,
      config,
      configHash,
      goldenFile: goldenPath(root, exp.name, profile),
      profile,
      overridden: Object.keys(own).length > 0,
      parts: graph.order,
      needs: graph.needs,
    };
    const seeds = seedsOf(exp, profile);
    if (!seeds.includes(exp.seed)) {
      throw new Error(
        `${exp.name}: its seed ${exp.seed} is not among its ${profile} seeds 0..${
          seeds.length - 1
        }`,
      );
    }
    if (o.sweep) {
      for (const seed of seeds) {
        plans.push({
          ...common,
          seed,
          runId: `seed-${seed}`,
          folder: `${exp.name}/runs/seed-${seed}`,
        });
      }
    } else {
      plans.push({ ...common, seed: o.seed ?? exp.seed, runId: "", folder: exp.name });
    }
  }
  return plans;
}

/** A shard: part `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Split runs into `count` shards, balanced by cost: the longest run first, each to the shard with
 * the least total so far (ties: lower shard index). Deterministic for given runs and costs.
 */
export function partition(
  keys: string[],
  cost: (key: string) => number,
  count: number,
): string[][] {
  const order = keys.map((k, i) => ({ k, i, c: cost(k) })).sort((a, b) => b.c - a.c || a.i - b.i);
  const shards = Array.from(
    { length: count },
    () => ({ total: 0, keys: [] as { k: string; i: number }[] }),
  );
  for (const r of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (shards[s].total < shards[best].total) best = s;
    shards[best].total += r.c;
    shards[best].keys.push(r);
  }
  // Within a shard, runs keep the plan's order.
  return shards.map((s) => s.keys.sort((a, b) => a.i - b.i).map((r) => r.k));
}

/**
 * Recorded cost estimates (`fixtures/costs.json`): seconds per run of each experiment and profile
 * (`costs`), and per part of a run with parts (`partCosts`: experiment, profile, part). A missing
 * or unusable file, or a run without an estimate, gives a warning (shards are then balanced by run
 * count for those runs), never a silent change of the partition. A part without a usable estimate
 * has none (`partCost` gives undefined: the scheduler then shares its run's cost equally).
 */
export async function costModel(
  root: string,
  plans: Plan[],
): Promise<{
  cost: (key: string) => number;
  partCost: (key: string, part: string) => number | undefined;
  warning?: string;
}> {
  const file = join(root, "fixtures", "costs.json");
  let costs: Record<string, Partial<Record<ProfileName, number>>> = {};
  let partCosts: Record<string, Partial<Record<ProfileName, Record<string, unknown>>>> = {};
  let warning: string | undefined;
  try {
    const parsed = JSON.parse(await Deno.readTextFile(file));
    if (!isRecord(parsed?.costs)) throw new Error('no "costs" object');
    costs = parsed.costs;
    if (isRecord(parsed.partCosts)) partCosts = parsed.partCosts;
  } catch (e) {
    warning = e instanceof Deno.errors.NotFound
      ? "fixtures/costs.json is missing: every run is costed 1 s when shards are balanced"
      : `fixtures/costs.json is unusable (${
        e instanceof SyntaxError ? "not valid JSON" : (e as Error).message
      }): every run is costed 1 s when shards are balanced`;
  }
  const usable = (c: unknown): c is number => typeof c === "number" && Number.isFinite(c) && c > 0;
  const missing: string[] = [];
  const byKey = new Map(plans.map((p) => {
    const c = costs[p.exp.name]?.[p.profile];
    if (!usable(c) && !warning) missing.push(`${p.exp.name} (${p.profile})`);
    return [runKey(p), usable(c) ? c : 1];
  }));
  const byPart = new Map(plans.map((p) => {
    const recorded = partCosts[p.exp.name]?.[p.profile];
    const parts = isRecord(recorded) ? recorded : {};
    return [runKey(p), (part: string) => usable(parts[part]) ? parts[part] as number : undefined];
  }));
  if (!warning && missing.length) {
    warning = `fixtures/costs.json has no usable cost for ${
      [...new Set(missing)].join(", ")
    }: costed 1 s`;
  }
  return {
    cost: (k) => byKey.get(k) ?? 1,
    partCost: (k, part) => byPart.get(k)?.(part),
    warning,
  };
}

function isRecord(v: unknown): v is Record<string, never> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What `fixtures/costs.json` holds (see {@link costModel}). */
export interface CostsFile {
  note?: string;
  costs: Record<string, Partial<Record<ProfileName, number>>>;
  partCosts?: Record<string, Partial<Record<ProfileName, Record<string, number>>>>;
}

/**
 * `file` with the costs measured in some runs (a summary.json's `experiments`): each experiment
 * and profile measured gets the mean wall seconds of its runs, and each of its parts the mean of
 * the part's seconds (0.1 s), replacing what was recorded; the rest is kept. With `partsOnly` the
 * runs' costs stay as recorded (they also choose the full profiles the browser offers).
 */
export function recordCosts(
  file: CostsFile,
  runs: {
    name: string;
    profile: ProfileName;
    wallSeconds: number;
    partSeconds?: Record<string, number>;
  }[],
  o: { partsOnly?: boolean } = {},
): CostsFile {
  const round = (v: number) => Math.max(0.1, Math.round(v * 10) / 10);
  const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length;
  const costs = structuredClone(file.costs);
  const partCosts = structuredClone(file.partCosts ?? {});
  const groups = new Map<string, typeof runs>();
  for (const r of runs) {
    const k = JSON.stringify([r.name, r.profile]);
    groups.set(k, [...groups.get(k) ?? [], r]);
  }
  for (const group of groups.values()) {
    const { name, profile } = group[0];
    if (!o.partsOnly) (costs[name] ??= {})[profile] = round(mean(group.map((r) => r.wallSeconds)));
    const parts = [...new Set(group.flatMap((r) => Object.keys(r.partSeconds ?? {})))];
    if (!parts.length) {
      delete partCosts[name]?.[profile];
      continue;
    }
    (partCosts[name] ??= {})[profile] = Object.fromEntries(parts.map((p) => [
      p,
      round(mean(group.flatMap((r) => r.partSeconds?.[p] ?? []))),
    ]));
  }
  return { ...file, costs, partCosts };
}
