/**
 * Config validation: every field of an experiment's config has a rule, and a value that breaks it
 * is refused before any work starts, with an error naming the field and the allowed values.
 */

import { DataError, readDataCsv } from "../data/csv_dataset.ts";
import { PROJECT_ROOT } from "../runtime/root.ts";

/** A rule for one config field. */
export type Rule =
  | { type: "int"; min?: number; max?: number }
  | {
    type: "number";
    min?: number;
    max?: number;
    exclusiveMin?: boolean;
    exclusiveMax?: boolean;
    /** What the range means, shown with it ("a per-step noise rate"). */
    meaning?: string;
  }
  | { type: "enum"; values: readonly (string | number)[] }
  | { type: "bool" }
  | { type: "list"; of: Rule; minLength?: number; maxLength?: number }
  /** A built-in data set name, or (when `csv`) `csv:<file of the project>`, parsed on validation. */
  | { type: "dataset"; builtin: readonly string[]; csv: boolean }
  | { type: "object"; fields: Record<string, Rule> };

/** Rules for every field of a config `C` (a missing rule is a type error). */
export type Schema<C> = { [K in keyof C]-?: Rule };

/** A broken cross-field rule: the field (path within the config), its value, what is allowed. */
export interface Violation {
  field: string;
  got: unknown;
  allowed: string;
}

/** A cross-field check: a {@link Violation}, or null when the config is fine. */
export type Check<C> = (c: C) => Violation | null;

/** `null` when `ok`, else the violation (shorthand for writing checks). */
export function unless(
  ok: boolean,
  field: string,
  got: unknown,
  allowed: string,
): Violation | null {
  return ok ? null : { field, got, allowed };
}

/** The check that a linear beta schedule rises: betaStart < betaEnd. */
export function betaOrder(c: { betaStart: number; betaEnd: number }): Violation | null {
  return unless(
    c.betaStart < c.betaEnd,
    "betaEnd",
    c.betaEnd,
    `a number > betaStart (${c.betaStart})`,
  );
}

/** The check that a minibatch fits in the training set: batchSize <= trainSize. */
export function batchFitsData(c: { batchSize: number; trainSize: number }): Violation | null {
  return unless(
    c.batchSize <= c.trainSize,
    "batchSize",
    c.batchSize,
    `an integer <= trainSize (${c.trainSize})`,
  );
}

/**
 * The most optimizer steps a run may plan (10^7, about 8 hours of the largest step here): more
 * cannot finish, and its loss record could not be allocated.
 */
export const MAX_TRAINING_STEPS = 10_000_000;

/** The check that epochs of full batches stay within {@link MAX_TRAINING_STEPS}. */
export function epochBudget(
  c: { epochs: number; trainSize: number; batchSize: number },
  field = "epochs",
): Violation | null {
  const perEpoch = Math.floor(c.trainSize / c.batchSize);
  return unless(
    c.epochs * perEpoch <= MAX_TRAINING_STEPS,
    field,
    c.epochs,
    `an integer <= ${
      Math.floor(MAX_TRAINING_STEPS / Math.max(perEpoch, 1))
    } (${perEpoch} steps per epoch, at most ${MAX_TRAINING_STEPS} steps)`,
  );
}

/** Exit code of a usage or config error (nothing was run or written). */
export const USAGE_EXIT = 2;

/**
 * A config value or flag that is not allowed; names the field and the allowed values (or, for a
 * data file, `detail` names the file, line and column).
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly field: string,
    readonly got: unknown,
    readonly allowed: string,
    detail?: string,
  ) {
    super(detail ? `${field}: ${detail}` : `${field}: got ${show(got)}; allowed: ${allowed}`);
  }
}

function show(v: unknown): string {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (v === undefined) return "nothing (the field is missing)";
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + "..." : s;
}

/** Plain-language description of what a rule allows. */
export function describe(r: Rule): string {
  switch (r.type) {
    case "int":
      return `an integer${range(r.min, r.max)}`;
    case "number": {
      const lo = r.min === undefined ? "" : `${r.exclusiveMin ? ">" : ">="} ${r.min}`;
      const hi = r.max === undefined ? "" : `${r.exclusiveMax ? "<" : "<="} ${r.max}`;
      const bounds =
        r.min !== undefined && r.max !== undefined && !r.exclusiveMin && !r.exclusiveMax
          ? ` in [${r.min}, ${r.max}]`
          : [lo, hi].filter(Boolean).map((b) => ` ${b}`).join(" and");
      return `${r.meaning ? `${r.meaning}: ` : ""}a finite number${bounds}`;
    }
    case "enum":
      return `one of ${r.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "bool":
      return "true or false";
    case "list":
      return `a list of ${r.minLength ?? 0}${
        r.maxLength !== undefined ? `-${r.maxLength}` : "+"
      } items, each ${describe(r.of)}`;
    case "object":
      return `an object with fields ${Object.keys(r.fields).join(", ")}`;
    case "dataset":
      return `one of ${r.builtin.map((v) => JSON.stringify(v)).join(", ")}${
        r.csv ? ', or "csv:<file in the project>" with columns x,y[,label]' : ""
      }`;
  }
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` in [${min}, ${max}]`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return "";
}

/** Check `value` against `rule`; throws {@link ConfigError} naming `field`. */
export function checkRule(rule: Rule, value: unknown, field: string): void {
  const fail = () => {
    throw new ConfigError(field, value, describe(rule));
  };
  switch (rule.type) {
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) fail();
      if (rule.min !== undefined && (value as number) < rule.min) fail();
      if (rule.max !== undefined && (value as number) > rule.max) fail();
      return;
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) fail();
      const v = value as number;
      if (rule.min !== undefined && (rule.exclusiveMin ? v <= rule.min : v < rule.min)) fail();
      if (rule.max !== undefined && (rule.exclusiveMax ? v >= rule.max : v > rule.max)) fail();
      return;
    }
    case "enum":
      if (!rule.values.includes(value as string | number)) fail();
      return;
    case "bool":
      if (typeof value !== "boolean") fail();
      return;
    case "list": {
      if (!Array.isArray(value)) fail();
      const a = value as unknown[];
      if (rule.minLength !== undefined && a.length < rule.minLength) fail();
      if (rule.maxLength !== undefined && a.length > rule.maxLength) fail();
      for (let i = 0; i < a.length; i++) {
        if (!(i in a)) throw new ConfigError(`${field}[${i}]`, undefined, describe(rule.of));
        checkRule(rule.of, a[i], `${field}[${i}]`);
      }
      for (const k of Object.keys(a)) {
        if (!/^\d+$/.test(k)) {
          throw new ConfigError(`${field}.${k}`, a[k as never], "list items only");
        }
      }
      return;
    }
    case "object":
      checkFields(rule.fields, value, field);
      return;
    case "dataset": {
      if (typeof value === "string" && rule.builtin.includes(value)) return;
      if (!rule.csv || typeof value !== "string" || !value.startsWith("csv:")) fail();
      try {
        readDataCsv(PROJECT_ROOT, (value as string).slice(4));
      } catch (e) {
        if (e instanceof DataError) throw new ConfigError(field, value, describe(rule), e.message);
        throw e;
      }
      return;
    }
  }
}

function checkFields(fields: Record<string, Rule>, value: unknown, field: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(field, value, `an object with fields ${Object.keys(fields).join(", ")}`);
  }
  const obj = value as Record<string, unknown>;
  if (Object.getPrototypeOf(obj) !== Object.prototype && Object.getPrototypeOf(obj) !== null) {
    throw new ConfigError(
      field,
      value,
      `a plain object with fields ${Object.keys(fields).join(", ")}`,
    );
  }
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(fields, key)) {
      throw new ConfigError(
        `${field}.${key}`,
        obj[key],
        `no such field; known fields: ${Object.keys(fields).join(", ")}`,
      );
    }
  }
  for (const [key, rule] of Object.entries(fields)) checkRule(rule, obj[key], `${field}.${key}`);
}

/** Validate a whole config: every field by its rule, then the cross-field checks. */
export function validateConfig<C>(
  name: string,
  schema: Schema<C>,
  checks: Check<C>[],
  value: unknown,
): C {
  checkFields(schema as Record<string, Rule>, value, name);
  for (const check of checks) {
    const v = check(value as C);
    if (v) throw new ConfigError(`${name}.${v.field}`, v.got, v.allowed);
  }
  return value as C;
}

/** Shorthands for common rules. */
export const rules = {
  int: (min?: number, max?: number): Rule => ({ type: "int", min, max }),
  positiveInt: (max?: number): Rule => ({ type: "int", min: 1, max }),
  positive: (max?: number): Rule => ({ type: "number", min: 0, exclusiveMin: true, max }),
  /** A per-step noise rate beta: in (0, 1) (at 1 a step keeps no signal). */
  rate: (): Rule => ({
    type: "number",
    min: 0,
    exclusiveMin: true,
    max: 1,
    exclusiveMax: true,
    meaning: "a per-step noise rate",
  }),
  /** An optimizer's learning rate: in (0, 1e4]. */
  learningRate: (): Rule => ({
    type: "number",
    min: 0,
    exclusiveMin: true,
    max: 1e4,
    meaning: "a learning rate",
  }),
  /** A solver tolerance: in [1e-10, 1] (below 1e-10 float32 steps cannot meet it). */
  tolerance: (): Rule => ({
    type: "number",
    min: 1e-10,
    max: 1,
    meaning: "a solver tolerance",
  }),
  /** An EMA decay rate: in [0, 1) (at 1 the average never moves). */
  emaRate: (): Rule => ({
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    meaning: "an EMA decay rate",
  }),
  /** A batch size: 1 to 65536. */
  batchSize: (): Rule => ({ type: "int", min: 1, max: 65_536 }),
  /** Epochs: 1 to 10^6 (with the step budget checked across fields by `epochBudget`). */
  epochs: (): Rule => ({ type: "int", min: 1, max: 1_000_000 }),
  number: (min?: number, max?: number): Rule => ({ type: "number", min, max }),
  oneOf: (...values: (string | number)[]): Rule => ({ type: "enum", values }),
  bool: (): Rule => ({ type: "bool" }),
  list: (of: Rule, minLength?: number, maxLength?: number): Rule => ({
    type: "list",
    of,
    minLength,
    maxLength,
  }),
  object: (fields: Record<string, Rule>): Rule => ({ type: "object", fields }),
  dataset: (builtin: readonly string[], csv = false): Rule => ({ type: "dataset", builtin, csv }),
};
