/**
 * Configs made of sections, as score_sde writes them: a recipe owns a section (its fields' rules
 * and the checks among them, written once), an experiment's config is a record of sections, and a
 * profile is the full config or a patch of it that only assigns.
 */
import { type Check, type Rule, rules, type Schema } from "./rules.ts";

/** A config section: the rule of each field, and the checks across its fields. */
export interface Section<T> {
  schema: Schema<T>;
  checks?: readonly Check<T>[];
}

/** What an experiment's config needs from its sections: its schema and its checks. */
export interface Assembled<C> {
  schema: Schema<C>;
  checks: Check<C>[];
}

/**
 * The schema and checks of a config from its parts: each field is a {@link Section} (its checks
 * then report paths like `train.epochs`) or a plain {@link Rule}; `checks` are the config's own
 * checks across sections.
 */
export function assemble<C>(
  parts: { [K in keyof C]-?: Section<C[K]> | Rule },
  checks: Check<C>[] = [],
): Assembled<C> {
  const schema = {} as Record<string, Rule>;
  const lifted: Check<C>[] = [];
  for (const [key, part] of Object.entries(parts) as [string, Section<unknown> | Rule][]) {
    if (!("schema" in part)) {
      schema[key] = part;
      continue;
    }
    schema[key] = rules.object(part.schema as Record<string, Rule>);
    for (const check of part.checks ?? []) {
      lifted.push((c) => {
        const v = check((c as Record<string, unknown>)[key]);
        return v && { ...v, field: `${key}.${v.field}` };
      });
    }
  }
  return { schema: schema as Schema<C>, checks: [...lifted, ...checks] };
}

/** A patch of a config: any field, at any depth, reassigned (lists are replaced whole). */
export type Patch<C> = {
  [K in keyof C]?: C[K] extends readonly unknown[] ? C[K]
    : C[K] extends object ? Patch<C[K]>
    : C[K];
};

/** `base` with the fields of `patch` assigned (a new object; `base` is not touched). */
export function derive<C>(base: C, patch: Patch<C>): C {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    const b = out[k];
    const nested = v !== null && typeof v === "object" && !Array.isArray(v) &&
      b !== null && typeof b === "object" && !Array.isArray(b);
    out[k] = nested ? derive(b, v as Patch<typeof b>) : v;
  }
  return out as C;
}
