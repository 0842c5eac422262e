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

Deno.test("child streams: a part's streams are its own (not the run's, not a sibling's), keyed by its path, and so is its per-sample noise", () => {
  const run = new Streams(5);
  const draws = (s: Streams) => s.get("init").normals(8);
  const parent = draws(new Streams(5));
  const a = draws(run.child("a")), b = draws(run.child("b"));
  assert.notDeepEqual(a, parent, "a part's init is not the run's");
  assert.notDeepEqual(a, b, "siblings differ");
  assert.deepEqual(draws(new Streams(5).child("a")), a, "same seed and path, same draws");
  assert.equal(run.child("a").child("x").get("init").key, "scorelab/5/a/x/init");
  const noise = (s: Streams) => s.perSample("sample", 3, 2).uniform();
  assert.notDeepEqual(noise(run.child("a")), noise(run), "per-sample noise of a part is its own");
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

import { decodeBase64, encodeBase64 } from "../core/runtime/base64.ts";
import { decodeFloats, decodeInts, encodeFloats, encodeInts } from "../core/runtime/checkpoints.ts";
import { Minibatches } from "../core/data/loader.ts";

Deno.test("base64: the standard encoding (btoa's) for every length and byte; checkpoint floats and ints round-trip", () => {
  const s = new Streams(5).get("bytes");
  for (let n = 0; n < 70; n++) {
    const bytes = Uint8Array.from({ length: n }, () => s.int(256));
    const viaBtoa = btoa(String.fromCharCode(...bytes));
    assert.equal(encodeBase64(bytes), viaBtoa, `${n} bytes`);
    assert.deepEqual(decodeBase64(viaBtoa), bytes);
  }
  const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
  assert.equal(encodeBase64(all), btoa(String.fromCharCode(...all)), "every byte value");
  const floats = Float32Array.from([0, -0, 1.5, NaN, Infinity, -3e-39, 1e38]);
  assert.deepEqual(
    new Uint32Array(decodeFloats(encodeFloats(floats)).buffer),
    new Uint32Array(floats.buffer),
    "float bits, -0 and NaN included",
  );
  // A view into a larger buffer encodes only its own elements.
  const ints = new Int32Array([7, -1, 2 ** 31 - 1, -(2 ** 31), 0, 42]).subarray(1, 5);
  assert.deepEqual(decodeInts(encodeInts(ints)), Int32Array.from(ints));
});

Deno.test("minibatch order: restored from its base64 state or from an older checkpoint's list, it continues alike", () => {
  const a = new Minibatches(50, 8, new Streams(3).get("shuffle"));
  for (let step = 0; step < 9; step++) a.at(step);
  const state = a.state(), stream = a.stream.state();
  // A resumed run restores the shuffle stream too (the next epoch's permutation comes from it).
  const make = () => {
    const s = new Streams(3).get("shuffle");
    s.restore(stream);
    return new Minibatches(50, 8, s);
  };
  const fromList = make(), fromInts = make();
  fromInts.restore({ epoch: state.epoch, perm: decodeInts(encodeInts(state.perm!)) });
  fromList.restore({ epoch: state.epoch, perm: Array.from(state.perm!) });
  for (let step = 9; step < 30; step++) {
    const want = Array.from(a.at(step));
    assert.deepEqual(Array.from(fromInts.at(step)), want, `step ${step}`);
    assert.deepEqual(Array.from(fromList.at(step)), want, `step ${step}`);
  }
});
