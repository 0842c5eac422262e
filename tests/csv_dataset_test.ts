/**
 * Users' own data (`csv:<file>`): the parsed values are the file's, and the data set is the
 * empirical law of its rows (each draw one row of the file, x, y and label together, every row
 * equally likely). Bad files are refused in tests/hostile_test.ts and tests/reliability_test.ts.
 */
import assert from "node:assert/strict";
import { csvDataset, parseDataCsv, readDataCsv } from "../core/data/csv_dataset.ts";
import { PROJECT_ROOT } from "../core/runtime/root.ts";
import { Streams } from "../core/runtime/random.ts";

const FILE = "tests/data/three_blobs.csv";

Deno.test("csv: every cell parsed to the float32 of its decimal text, labels as integers, in file order", () => {
  const text = Deno.readTextFileSync(`${PROJECT_ROOT}/${FILE}`);
  const d = readDataCsv(PROJECT_ROOT, FILE);
  const lines = text.trim().split("\n").slice(1).map((l) => l.split(","));
  assert.equal(d.rows, lines.length);
  assert.ok(d.labels, "the label column is read");
  lines.forEach(([x, y, label], i) => {
    assert.equal(d.x[2 * i], Math.fround(Number(x)), `row ${i} x`);
    assert.equal(d.x[2 * i + 1], Math.fround(Number(y)), `row ${i} y`);
    assert.equal(d.labels![i], Number(label), `row ${i} label`);
  });
  // Line ends and spaces around cells do not change the values.
  const crlf = parseDataCsv("x, y\r\n1.5 ,-2e-3\r\n+.25,7\r\n", "t.csv");
  assert.deepEqual([...crlf.x], [1.5, Math.fround(-2e-3), 0.25, 7]);
  assert.equal(crlf.labels, undefined);
});

Deno.test("csv: the data set draws whole rows of the file, each about 1/rows of the time, from its stream", () => {
  const d = readDataCsv(PROJECT_ROOT, FILE);
  const set = csvDataset(FILE, d);
  assert.equal(set.classes, Math.max(...d.labels!) + 1);
  const key = (x: number, y: number) => `${x},${y}`;
  const rowOf = new Map<string, number>();
  for (let r = 0; r < d.rows; r++) rowOf.set(key(d.x[2 * r], d.x[2 * r + 1]), r);
  assert.equal(rowOf.size, d.rows, "the file's points are distinct (so a draw names its row)");
  const n = 120_000;
  const s = set.sample(n, new Streams(7).get("data"));
  const counts = new Float64Array(d.rows);
  for (let i = 0; i < n; i++) {
    const r = rowOf.get(key(s.x[2 * i], s.x[2 * i + 1]));
    assert.ok(r !== undefined, `draw ${i} is not a row of the file (x and y from different rows?)`);
    assert.equal(s.labels![i], d.labels![r], `draw ${i}: the label of another row`);
    counts[r]++;
  }
  // Uniform over rows: Pearson's chi-square with rows - 1 degrees of freedom (599 here: mean 599,
  // sd 34.6); the bound is its mean + 6 sd. A sampler that favours or skips rows (the first half
  // only, say) gives thousands.
  const e = n / d.rows;
  const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
  const df = d.rows - 1;
  assert.ok(chi2 < df + 6 * Math.sqrt(2 * df), `chi-square ${chi2.toFixed(1)} on ${df} df`);
  assert.ok(counts.every((c) => c > 0), "every row drawn");
  // The stream decides the draws: the same stream again gives the same rows.
  const again = set.sample(n, new Streams(7).get("data"));
  assert.deepEqual(again.x, s.x);
});
