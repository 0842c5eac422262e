/**
 * Planning: the runs a `reproduce` invocation performs, each validated before any work starts.
 * A profile gives one run per experiment; the `sweep` profile gives one run per point of each
 * experiment's grid (seeds x grid fields), each with its own folder and golden. A shard is a
 * deterministic part of all runs, balanced by recorded costs.
 */
import { join } from "node:path";
import type { AnyExperiment, ProfileName, RunProfile } from "./experiment.ts";
import { ConfigError, validateConfig } from "./schema.ts";
import { goldenPath } from "./golden.ts";
import { canonicalJson, sha256 } from "../runtime/io.ts";

/** A planned run: an experiment, its validated config and seed, where its outputs and golden go. */
export interface Plan {
  exp: AnyExperiment;
  config: unknown;
  seed: number;
  configHash: string;
  /** "" for a profile's single run; the grid point ("seed-3", "seed-3_lr-0.01") in a sweep. */
  runId: string;
  /** Output folder, relative to the out dir: `<exp>` or `<exp>/runs/<runId>`. */
  folder: string;
  /** The golden file this run is checked against. */
  goldenFile: string;
  /** The profile whose config the run uses. */
  baseProfile: ProfileName;
}

/** The key of a run across shards: `<exp>` or `<exp>/<runId>`. */
export function runKey(p: { exp?: AnyExperiment; name?: string; runId: string }): string {
  const name = p.exp?.name ?? p.name!;
  return p.runId ? `${name}/${p.runId}` : name;
}

/** What selects the runs (recorded by shards so a merge can check they agree). */
export interface Selection {
  profile: RunProfile;
  experiments: string[];
  seed?: number;
  overrides?: Record<string, Record<string, unknown>>;
}

/** Apply `field.path = value` overrides to a config copy. */
export function applyOverrides(
  name: string,
  config: unknown,
  overrides: Record<string, unknown>,
): unknown {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split(".");
    let node: Record<string, unknown> = out;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== "object" || node[k] === null) {
        throw new ConfigError(
          `${name}.${path}`,
          value,
          `a field of the config; "${k}" is not an object`,
        );
      }
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

/** The points of a sweep's grid: a seed and the grid fields' values, with their run id. */
function gridPoints(
  exp: AnyExperiment,
): { runId: string; seed: number; values: Record<string, unknown> }[] {
  const s = exp.sweep!;
  let points: { parts: string[]; values: Record<string, unknown> }[] = [{ parts: [], values: {} }];
  for (const [field, values] of Object.entries(s.grid ?? {})) {
    points = points.flatMap((p) =>
      values.map((v) => ({
        parts: [...p.parts, `${field}-${String(v)}`],
        values: { ...p.values, [field]: v },
      }))
    );
  }
  return s.seeds.flatMap((seed) =>
    points.map((p) => ({ runId: [`seed-${seed}`, ...p.parts].join("_"), seed, values: p.values }))
  );
}

/** Every run of the selection, validated (throws ConfigError before any work). */
export async function plan(
  root: string,
  experiments: AnyExperiment[],
  profile: RunProfile,
  seed?: number,
  overrides?: Record<string, Record<string, unknown>>,
): Promise<Plan[]> {
  const plans: Plan[] = [];
  const validated = async (
    exp: AnyExperiment,
    base: ProfileName,
    extra: Record<string, unknown>,
  ) => {
    const raw = applyOverrides(exp.name, exp.profiles[base], {
      ...extra,
      ...(overrides?.[exp.name] ?? {}),
    });
    const config = validateConfig(exp.name, exp.schema, exp.checks ?? [], raw);
    return { config, configHash: await sha256(canonicalJson(config)) };
  };
  if (profile === "sweep") {
    if (seed !== undefined) {
      throw new ConfigError(
        "--seed",
        seed,
        "no --seed with --profile sweep (the sweep sets the seeds)",
      );
    }
    const withSweep = experiments.filter((e) => e.sweep);
    if (withSweep.length === 0) {
      throw new ConfigError("--profile", "sweep", `experiments with a sweep: none selected`);
    }
    for (const exp of withSweep) {
      for (const point of gridPoints(exp)) {
        const v = await validated(exp, exp.sweep!.base, point.values);
        plans.push({
          exp,
          ...v,
          seed: point.seed,
          runId: point.runId,
          folder: `${exp.name}/runs/${point.runId}`,
          goldenFile: join(root, "fixtures", "golden", `${exp.name}.sweep`, `${point.runId}.json`),
          baseProfile: exp.sweep!.base,
        });
      }
    }
    return plans;
  }
  for (const exp of experiments) {
    const v = await validated(exp, profile, {});
    const s = seed ?? exp.seed;
    plans.push({
      exp,
      ...v,
      seed: s,
      runId: "",
      folder: exp.name,
      goldenFile: goldenPath(root, exp.name, profile, s, exp.seed),
      baseProfile: profile,
    });
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

/** Recorded cost estimates (`fixtures/costs.json`): seconds per run of each experiment and profile. */
export async function costModel(root: string, plans: Plan[]): Promise<(key: string) => number> {
  let costs: Record<string, Partial<Record<ProfileName, number>>> = {};
  try {
    costs = JSON.parse(await Deno.readTextFile(join(root, "fixtures", "costs.json"))).costs;
  } catch { /* no estimates: every run costs 1 */ }
  const byKey = new Map(plans.map((p) => [runKey(p), costs[p.exp.name]?.[p.baseProfile] ?? 1]));
  return (k) => byKey.get(k) ?? 1;
}
