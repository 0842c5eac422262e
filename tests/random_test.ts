import assert from "node:assert/strict";
import { Stream, Streams } from "../core/runtime/random.ts";
import { near } from "./helpers.ts";

Deno.test("streams: same seed and name give the same draws; names and seeds are independent", () => {
  const a = new Streams(5).get("data").normals(10);
  assert.deepEqual(new Streams(5).get("data").normals(10), a);
  assert.notDeepEqual(new Streams(5).get("init").normals(10), a);
  assert.notDeepEqual(new Streams(6).get("data").normals(10), a);
  // Drawing from one stream does not move another.
  const s = new Streams(5);
  s.get("init").normals(1000);
  assert.deepEqual(s.get("data").normals(10), a);
});

Deno.test("a stream's state restores it exactly (including a pending Box-Muller value)", () => {
  const s = new Stream("k");
  s.normal(); // leaves a spare
  const saved = JSON.parse(JSON.stringify(s.state()));
  const next = s.normals(7);
  assert.deepEqual(new Stream("k", saved).normals(7), next);
  const streams = new Streams(3);
  streams.get("train").uniform();
  const states = JSON.parse(JSON.stringify(streams.states()));
  const want = streams.get("train").normals(5);
  assert.deepEqual(new Streams(3, states).get("train").normals(5), want);
});

Deno.test("normals have mean 0 and variance 1; permutations are permutations", () => {
  const z = new Stream("z").normals(200000);
  let m = 0, v = 0;
  for (const x of z) m += x;
  m /= z.length;
  for (const x of z) v += (x - m) ** 2;
  v /= z.length;
  near(m, 0, 0.01, "mean");
  near(v, 1, 0.01, "variance");
  const p = new Stream("p").permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
});

Deno.test("per-sample noise: sample i's draws do not depend on the block it is in", () => {
  const s = new Streams(9);
  const whole = s.perSample("sample", 0, 10);
  const part = s.perSample("sample", 4, 3);
  const w1 = whole.uniform(), p1 = part.uniform();
  assert.deepEqual([...p1], [...w1.slice(4, 7)]);
  assert.throws(() => new Streams(-1), /non-negative integer/);
});
