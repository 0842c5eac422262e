/**
 * The field check's pure halves: every leaf found, each change allowed (tests/fields/change.ts);
 * footprints compared, held and read (tests/fields/footprint.ts, run.ts).
 */
import assert from "node:assert/strict";
import { rules } from "../core/spec/rules.ts";
import { changesOf, fieldsOf, isFixed } from "./fields/change.ts";
import { EXPERIMENTS } from "../experiments/mod.ts";
import {
  footprintProblem,
  type FootprintsFile,
  movedList,
  parseFootprints,
  runBitsOf,
} from "./fields/footprint.ts";
import { holdFootprints } from "./fields/run.ts";

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

const BITS = await runBitsOf({
  metrics: { mmd2: 0.5, nll: NaN },
  samplesSha256: "s",
  outputsSha256: {},
});

Deno.test("a footprint that lost or gained an output, or another change, is named; equal is none", () => {
  const rec = { to: 8, moved: ["metric mmd2", "metric nll", "samples.csv"], run: BITS };
  assert.equal(footprintProblem(rec, { ...rec, moved: [...rec.moved] }), null);
  const lost = footprintProblem(rec, { ...rec, moved: ["metric nll"] })!;
  assert.match(lost, /no longer moves metric mmd2, samples\.csv/);
  assert.doesNotMatch(lost, /now also/);
  assert.match(
    footprintProblem(rec, { ...rec, moved: [...rec.moved, "metric finalLoss"] })!,
    /^now also moves metric finalLoss/,
  );
  assert.match(footprintProblem(rec, { ...rec, to: 4 })!, /change tried is now 4, recorded 8/);
  assert.match(footprintProblem(undefined, rec)!, /no recorded footprint/);
  assert.deepEqual(
    movedList({ samples: true, metrics: ["nll", "mmd2"], outputs: ["details", "chart loss"] }),
    ["chart loss", "details", "metric mmd2", "metric nll", "samples.csv"],
  );
});

Deno.test("the same outputs moved but the changed run's bits differ: named, each metric with both values", async () => {
  const rec = { to: 8, moved: ["metric mmd2"], run: BITS };
  assert.deepEqual(BITS.metrics, { mmd2: 0.5, nll: "NaN" });
  const bits = (m: Record<string, number>, samples: string, outputs: Record<string, string>) =>
    runBitsOf({ metrics: m, samplesSha256: samples, outputsSha256: outputs });
  assert.equal(
    footprintProblem(rec, { ...rec, run: await bits({ nll: NaN, mmd2: 0.5 }, "s", {}) }),
    null,
  );
  assert.match(
    footprintProblem(rec, { ...rec, run: await bits({ mmd2: 0.5000001, nll: NaN }, "s", {}) })!,
    /bits differ from the recorded ones: metric mmd2 0\.5 -> 0\.5000001 \(/,
  );
  assert.match(
    footprintProblem(rec, {
      ...rec,
      run: await bits({ mmd2: 0.5, nll: 1 }, "t", { "chart a": "x" }),
    })!,
    /metric nll NaN -> 1, samples\.csv, other outputs/,
  );
  // the outputs' digest does not depend on the order they were listed in
  assert.equal(
    (await bits({}, "s", { a: "1", b: "2" })).outputs,
    (await runBitsOf({ metrics: {}, samplesSha256: "s", outputsSha256: { b: "2", a: "1" } }))
      .outputs,
  );
});

Deno.test("holdFootprints fails a field whose footprint moved and names stale records", () => {
  const base = { experiment: "e", expect: "numbers" as const, from: 1, to: 2, ok: true };
  const file: FootprintsFile = {
    format: 1,
    note: "",
    footprints: {
      "e a": { to: 2, moved: ["metric m", "samples.csv"], run: BITS },
      "e b": { to: 2, moved: ["metric m"], run: BITS },
      "e gone": { to: 2, moved: ["metric m"], run: BITS },
    },
  };
  const outcomes = [
    { ...base, field: "a", footprint: { to: 2, moved: ["metric m"], run: BITS } },
    { ...base, field: "b", footprint: { to: 2, moved: ["metric m"], run: BITS } },
    { ...base, field: "c", expect: "fixed" as const, ok: true },
  ];
  const held = holdFootprints(outcomes, file, true);
  assert.deepEqual(held.outcomes.map((o) => o.ok), [false, true, true]);
  assert.match(held.outcomes[0].problem!, /no longer moves samples\.csv/);
  assert.deepEqual(held.stale, ["e gone"]);
  assert.deepEqual(holdFootprints(outcomes, file, false).stale, []);
});

Deno.test("a footprints file of another shape is refused with its first bad entry named", () => {
  const good = { format: 1, note: "", footprints: { "e a": { to: 2, moved: ["x"], run: BITS } } };
  assert.deepEqual(parseFootprints(JSON.stringify(good)), good);
  assert.match(parseFootprints("{") as string, /^not JSON/);
  assert.match(
    parseFootprints(JSON.stringify({ format: 2, footprints: {} })) as string,
    /format 1/,
  );
  const bad = (f: unknown) =>
    parseFootprints(JSON.stringify({ ...good, footprints: { "e b": f } }));
  assert.match(bad({ to: 2, moved: "x", run: BITS }) as string, /footprint "e b"/);
  assert.match(bad({ moved: ["x"], run: BITS }) as string, /footprint "e b"/);
  assert.match(bad({ to: 2, moved: ["x"] }) as string, /footprint "e b"/);
  assert.match(bad({ to: 2, moved: ["x"], run: { ...BITS, outputs: 3 } }) as string, /"e b"/);
  assert.match(
    bad({ to: 2, moved: ["x"], run: { ...BITS, metrics: { m: null } } }) as string,
    /"e b"/,
  );
});
