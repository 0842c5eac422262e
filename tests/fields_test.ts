/** The field check's pure half (tests/fields/change.ts): every leaf found, each change allowed. */
import assert from "node:assert/strict";
import { rules } from "../core/spec/rules.ts";
import { changesOf, fieldsOf, isFixed } from "./fields/change.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";

Deno.test("fieldsOf finds every leaf of a config, in schema order, with its rule", () => {
  const schema = {
    a: rules.int(1, 10),
    s: rules.object({ b: rules.bool(), c: rules.list(rules.int(0), 1, 3) }),
  };
  const got = fieldsOf(schema, { a: 3, s: { b: true, c: [1, 2] } });
  assert.deepEqual(got.map((f) => [f.path, f.value]), [["a", 3], ["s.b", true], ["s.c", [1, 2]]]);
  assert.equal(got[2].rule.type, "list");
});

Deno.test("changesOf: other values the rule allows, smaller sizes first, never the value itself", () => {
  assert.deepEqual(changesOf(rules.int(1, 10), 4), [2, 3, 5, 8, 1, 10]);
  assert.deepEqual(changesOf(rules.int(4, 4), 4), []);
  assert.deepEqual(changesOf(rules.bool(), true), [false]);
  assert.deepEqual(changesOf(rules.oneOf("x", "y", "z"), "y"), ["x", "z"]);
  const num = changesOf({ type: "number", min: 0, max: 1, exclusiveMin: true }, 0.5);
  assert.ok(
    num.length > 0 && num.every((v) => typeof v === "number" && v > 0 && v <= 1 && v !== 0.5),
  );
  assert.deepEqual(changesOf(rules.list(rules.int(0), 1, 3), [6, 7]).slice(0, 2), [[6], [7]]);
  // a list at its minimum length changes an item instead
  assert.deepEqual(changesOf(rules.list(rules.int(0), 1, 3), [6])[0], [3]);
});

Deno.test("every field of every experiment's quick config has a rule and a change to try", () => {
  for (const e of EXPERIMENTS) {
    const fields = fieldsOf(e.schema, e.profiles.quick);
    assert.ok(fields.length > 0, e.name);
    for (const f of fields) {
      assert.notEqual(f.value, undefined, `${e.name}.${f.path}: no value in the quick profile`);
      if (!isFixed(f.rule)) assert.ok(changesOf(f.rule, f.value).length > 0, `${e.name}.${f.path}`);
    }
  }
});
