/**
 * The fields of a config and, for each, the changes to try: what `deno task test:fields` needs
 * from a schema. Pure functions of a rule and a value; no run here.
 */
import type { Rule, Schema } from "../../core/spec/rules.ts";

/** A field of a config: its dotted path, its rule and its value in the config. */
export interface Field {
  path: string;
  rule: Rule;
  value: unknown;
}

/** Every leaf of `config` (a value whose rule is not an object), with its rule, in schema order. */
export function fieldsOf(schema: Schema<unknown>, config: unknown, prefix = ""): Field[] {
  const out: Field[] = [];
  for (const [key, rule] of Object.entries(schema as Record<string, Rule>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const value = (config as Record<string, unknown>)[key];
    if (rule.type === "object") out.push(...fieldsOf(rule.fields, value, path));
    else out.push({ path, rule, value });
  }
  return out;
}

/** Does the rule allow one value only? (a data set the experiment is written for: a constant) */
export function isFixed(rule: Rule): boolean {
  return (rule.type === "enum" && rule.values.length === 1) ||
    (rule.type === "dataset" && rule.builtin.length === 1 && !rule.csv);
}

/** Does `v` keep to the range of an int or number rule? (the config's checks come later) */
function inRange(rule: Rule, v: number): boolean {
  if (rule.type !== "int" && rule.type !== "number") return false;
  if (!Number.isFinite(v) || (rule.type === "int" && !Number.isInteger(v))) return false;
  const exMin = rule.type === "number" && rule.exclusiveMin;
  const exMax = rule.type === "number" && rule.exclusiveMax;
  if (rule.min !== undefined && (exMin ? v <= rule.min : v < rule.min)) return false;
  if (rule.max !== undefined && (exMax ? v >= rule.max : v > rule.max)) return false;
  return true;
}

/**
 * Other values of a field that its own rule allows, in the order to try them: smaller sizes first
 * (a cheaper run), then larger; another item of an enum; the other boolean; a list one item
 * shorter (its last, then its first item dropped), then with its first item changed. The
 * config's cross-field checks are the caller's (it tries the next one when a change is refused).
 */
export function changesOf(rule: Rule, value: unknown): unknown[] {
  const distinct = (vs: unknown[]) => {
    const seen = new Set<string>([JSON.stringify(value)]);
    return vs.filter((v) => {
      const k = JSON.stringify(v);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  switch (rule.type) {
    case "int": {
      const v = value as number;
      return distinct([Math.floor(v / 2), v - 1, v + 1, 2 * v, rule.min ?? 0, rule.max ?? 1]
        .filter((c) => inRange(rule, c)));
    }
    case "number": {
      const v = value as number;
      const around = v === 0 ? [0.01, 0.1, 1, -0.01] : [v / 2, 2 * v, 0.9 * v, 1.1 * v, -v];
      const bounds = [rule.min, rule.max].filter((b): b is number => b !== undefined);
      const mid = bounds.length === 2 ? [(bounds[0] + bounds[1]) / 2] : [];
      return distinct([...around, ...mid, ...bounds].filter((c) => inRange(rule, c)));
    }
    case "enum":
      return distinct([...rule.values]);
    case "bool":
      return [!value];
    case "dataset":
      return distinct([...rule.builtin]);
    case "list": {
      const v = value as unknown[];
      const shorter = v.length - 1 >= (rule.minLength ?? 0) && v.length > 1
        ? [v.slice(0, -1), v.slice(1)]
        : [];
      const first = v.length ? changesOf(rule.of, v[0]).map((c) => [c, ...v.slice(1)]) : [];
      return distinct([...shorter, ...first]);
    }
    case "object":
      return [];
  }
}
