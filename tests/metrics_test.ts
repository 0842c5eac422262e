import assert from "node:assert/strict";
import { mmd2, mmdPermutationTest, MmdReference } from "../core/metrics/mmd.ts";
import { modeCoverage } from "../core/metrics/modes.ts";
import { MetricInputError } from "../core/metrics/points.ts";
import { ring8Mixture, sampleMixture, twoComponent1dMixture } from "../core/data/mixtures.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { QualityJudge } from "../core/metrics/quality.ts";
import { Streams } from "../core/runtime/random.ts";
import { near } from "./helpers.ts";
import { testInTraining } from "../core/metrics/held_out.ts";
import { componentScoreOff } from "../core/metrics/conditional.ts";

const ring = ring8Mixture();
const draw = (n: number, name: string, seed = 1) =>
  sampleMixture(ring, n, new Streams(seed).get(name)).x;

Deno.test("MMD²: the kernel sum by hand on a tiny example", () => {
  // x = {(0,0), (1,0)}, y = {(0,1), (3,0)}; k(d²) = sum_h exp(-d² / (2h²)).
  const k = (d2: number) =>
    [0.1, 0.2, 0.5, 1, 2].reduce((s, h) => s + Math.exp(-d2 / (2 * h * h)), 0);
  const want = k(1) + k(10) - (2 / 4) * (k(1) + k(9) + k(2) + k(4));
  near(mmd2([0, 0, 1, 0], [0, 1, 3, 0], 2), want, 1e-12, "MMD²");
});

Deno.test("MMD² is near zero for two samples of one law and clearly positive for shifted laws", () => {
  const y = draw(1500, "y");
  const same = mmd2(draw(1500, "x"), y, 2);
  assert.ok(Math.abs(same) < 0.004, `same law: ${same}`);
  const ref = new MmdReference(y, 2);
  near(ref.mmd2(draw(1500, "x")), same, 1e-12, "MmdReference equals mmd2");
  const shifted = draw(1500, "x").map((v, i) => (i % 2 === 0 ? v + 0.25 : v));
  const far = ref.mmd2(shifted);
  assert.ok(far > 10 * Math.abs(same) && far > 0.02, `shift by one std: ${far}`);
  const wider = sampleMixture({ ...ring, std: 0.35 }, 1500, new Streams(1).get("x")).x;
  const w = ref.mmd2(wider);
  assert.ok(w > 3 * Math.abs(same) && w > 0.005, `modes 40% wider: ${w} (same law: ${same})`);
});

Deno.test("MmdReference remembers recent samples by their bits: a repeat gets the same number, a changed sample a fresh one", () => {
  const y = draw(400, "y");
  const ref = new MmdReference(y, 2);
  const x = draw(300, "x");
  const first = ref.mmd2(x);
  assert.equal(ref.mmd2(Float32Array.from(x)), first, "a copy of the same bits");
  const others = [1, 2, 3, 4, 5].map((s) => draw(300, "x", s + 1));
  for (const o of others) assert.equal(ref.mmd2(o), mmd2(o, y, 2), "each new sample is computed");
  assert.equal(ref.mmd2(x), first, "an evicted sample is computed again, to the same number");
  x[7] = -x[7]; // the caller's array changed after the call: the remembered copy is not it
  assert.equal(ref.mmd2(x), mmd2(x, y, 2));
  assert.notEqual(ref.mmd2(x), first);
  const negZero = Float32Array.from(x, (v, i) => (i === 0 ? -0 : v));
  const posZero = Float32Array.from(x, (v, i) => (i === 0 ? 0 : v));
  assert.equal(ref.mmd2(negZero), mmd2(negZero, y, 2), "-0 and +0 are different bits");
  assert.equal(ref.mmd2(posZero), mmd2(posZero, y, 2));
});

Deno.test("permutation test: large p for one law, tiny p for shifted laws", () => {
  const y = draw(300, "y");
  const stream = () => new Streams(2).get("perm");
  const same = mmdPermutationTest(draw(300, "x"), y, 2, {
    size: 300,
    permutations: 100,
    stream: stream(),
  });
  assert.ok(same.pValue > 0.05, `same law p = ${same.pValue}`);
  const shifted = draw(300, "x").map((v, i) => (i % 2 === 0 ? v + 0.3 : v));
  const diff = mmdPermutationTest(shifted, y, 2, {
    size: 300,
    permutations: 100,
    stream: stream(),
  });
  assert.equal(diff.pValue, 1 / 101, "no permutation beats a real shift");
  near(diff.mmd2, mmd2(shifted, y, 2), 1e-12, "observed statistic is MMD²_u");
});

Deno.test("mode coverage on constructed samples", () => {
  const m = ring8Mixture();
  // 10 points exactly on mode 0, 5 on mode 3, 5 far from every mode.
  const pts: number[] = [];
  for (let i = 0; i < 10; i++) pts.push(...m.means[0]);
  for (let i = 0; i < 5; i++) pts.push(m.means[3][0] + 0.7, m.means[3][1]); // 2.8 std: high quality
  for (let i = 0; i < 5; i++) pts.push(0, 0); // 12 std from every mode
  const c = modeCoverage(pts, m.means, m.std);
  assert.equal(c.covered, 2);
  assert.equal(c.modes, 8);
  near(c.highQualityFraction, 15 / 20, 0);
  assert.deepEqual(c.perMode, [10, 0, 0, 5, 0, 0, 0, 0]);
  // strict: at least 0.2 * 20 / 8 = 0.5 high-quality samples: both covered modes count.
  assert.equal(c.coveredStrict, 2);
  near(
    c.klFromWeights,
    (10 / 15) * Math.log((10 / 15) * 8) + (5 / 15) * Math.log((5 / 15) * 8),
    1e-12,
    "KL",
  );
  // One sample per mode exactly: uniform, KL 0.
  const u = modeCoverage(m.means.flat(), m.means, m.std);
  assert.equal(u.covered, 8);
  near(u.klFromWeights, 0, 1e-12, "uniform KL");
  // No high-quality sample: KL is log K, coverage 0.
  const none = modeCoverage([0, 0, 0.1, 0], m.means, m.std);
  assert.equal(none.covered, 0);
  near(none.klFromWeights, Math.log(8), 1e-12, "empty histogram KL");
});

Deno.test("mode KL is to the law's own weights: drifting toward 50/50 on a 0.3/0.7 law is worse", () => {
  const m = twoComponent1dMixture();
  const at = (n0: number, n1: number) => [...Array(n0).fill(-2), ...Array(n1).fill(1.5)];
  const right = modeCoverage(at(30, 70), m.means, m.std, m.weights);
  near(right.klFromWeights, 0, 1e-12, "true weights: KL 0");
  const even = modeCoverage(at(50, 50), m.means, m.std, m.weights);
  near(even.klFromWeights, 0.5 * Math.log(0.5 / 0.3) + 0.5 * Math.log(0.5 / 0.7), 1e-12, "50/50");
  assert.ok(even.klFromWeights > right.klFromWeights);
  // Strict coverage asks 0.2 N w_k per mode: 6 of 100 on the 0.3 mode is below 0.2 * 100 * 0.3.
  assert.equal(modeCoverage(at(5, 95), m.means, m.std, m.weights).coveredStrict, 1);
});

Deno.test("quality: non-finite samples are counted and count as not high quality; the log-density gap is two-sided", () => {
  const judge = new QualityJudge(DATASETS.ring8, {
    referenceSize: 500,
    permutations: 5,
    permutationSize: 50,
  });
  const good = DATASETS.ring8.sample(400, new Streams(3).get("q")).x;
  const bad = Float32Array.from(good);
  for (let i = 0; i < 40; i++) bad[2 * i] = NaN;
  const q = judge.measure(bad).quality;
  assert.equal(q.nonFinite, 40);
  assert.ok(
    q.highQualityFraction! <= 0.9,
    `HQ ${q.highQualityFraction} counts the 40 as not high quality`,
  );
  assert.equal(judge.measure(good).quality.nonFinite, 0);
  // Collapse onto the means raises the mean log-density above the truth's: the gap grows.
  const collapsed = Float32Array.from(good, (_, i) => ring.means[Math.floor(i / 2) % 8][i % 2]);
  const qc = judge.measure(collapsed).quality;
  assert.ok(qc.meanLogDensity! > qc.meanLogDensityTrue!);
  assert.ok(qc.logDensityGap! > 0.5, `collapse gap ${qc.logDensityGap}`);
  assert.ok(judge.measure(good).quality.logDensityGap! < 0.2);
  assert.throws(
    () => judge.measure(new Float32Array(8).fill(NaN)),
    /samples: 4 of 4 rows are not finite \(NaN or ±Infinity\): the sampler diverged/,
  );
});

Deno.test("metrics refuse degenerate input with a clear error, never NaN", () => {
  assert.throws(() => mmd2([], [0, 0, 1, 1], 2), MetricInputError);
  assert.throws(() => mmd2([0, 0], [0, 0, 1, 1], 2), /needs at least 2 points/);
  assert.throws(() => mmd2([0, NaN, 1, 1], [0, 0, 1, 1], 2), /row 0 column 1 is NaN/);
  assert.throws(
    () => modeCoverage([1, Infinity], ring.means, ring.std),
    /row 0 column 1 is Infinity/,
  );
  assert.throws(() => modeCoverage([], ring.means, ring.std), /needs at least 1 point/);
  // All points identical: defined values.
  const same = Array(20).fill(0).map((_, i) => (i % 2 ? 0 : 3));
  const v = mmd2(same, draw(50, "y"), 2);
  assert.ok(Number.isFinite(v));
  const c = modeCoverage(same, ring.means, ring.std);
  assert.equal(c.covered, 1);
  near(c.klFromWeights, Math.log(8), 1e-12);
});

Deno.test("a judge's yardstick (reference, floors, floor scales) kept per data set gives the figures a fresh one computes", () => {
  const o = { referenceSize: 400, permutations: 20, permutationSize: 100 };
  const x = sampleMixture(ring8Mixture(), 300, new Streams(3).get("x")).x;
  const first = new QualityJudge(DATASETS.ring8, o);
  const a = { ...first.measure(x), scale: first.floorScale(300) };
  // A second judge on the same data set reuses the yardstick; a copy of the data set (another
  // object, the same law) computes its own from scratch.
  const again = new QualityJudge(DATASETS.ring8, o);
  assert.equal(again.reference, first.reference);
  const fresh = new QualityJudge({ ...DATASETS.ring8 }, o);
  assert.notEqual(fresh.reference, first.reference);
  for (const judge of [again, fresh]) {
    assert.deepEqual({ ...judge.measure(x), scale: judge.floorScale(300) }, a);
  }
  // Another reference size is another yardstick.
  const bigger = new QualityJudge(DATASETS.ring8, { ...o, referenceSize: 401 });
  assert.equal(bigger.reference.length, 802);
});

Deno.test("testInTraining: the share of test rows that are training rows, bit for bit", () => {
  const train = Float32Array.from([1, 2, 3, 4, 5, 6, 0.1, -0.2]);
  assert.equal(testInTraining(Float32Array.from([3, 4, 9, 9]), train, 2), 0.5);
  assert.equal(testInTraining(train.subarray(2, 6), train, 2), 1, "a slice of the training set");
  // Rows, not values: (2, 3) straddles two training rows; one ulp off is another point.
  assert.equal(testInTraining(Float32Array.from([2, 3]), train, 2), 0);
  const ulp = Float32Array.from([0.1, -0.2]);
  new Uint32Array(ulp.buffer)[0] += 1;
  assert.equal(testInTraining(ulp, train, 2), 0);
  assert.equal(testInTraining(Float32Array.from([0.1, -0.2]), train, 2), 1, "float32 of 0.1");
});

Deno.test("componentScoreOff: 0 for each component's own noised score, the error of any other", () => {
  const means = [[1, 0], [-1, 2]], std = 0.3, a = 0.8, b = 0.6;
  const x = [0.5, 0.2, 2, -1, -1, 2.5, 0, 0];
  const labels = [0, 0, 1, 1];
  const score = (s: number) =>
    x.map((v, i) => -(v - a * means[labels[i >> 1]][i & 1]) / (a * a * s * s + b * b));
  assert.equal(componentScoreOff(score(std), x, labels, means, std, a, b), 0);
  // A component 5% too wide: off by its score's change, relative to 1 + |score|.
  const wide = score(1.05 * std), right = score(std);
  const want = Math.max(...wide.map((w, i) => Math.abs(w - right[i]) / (1 + Math.abs(right[i]))));
  assert.ok(want > 5e-3);
  near(componentScoreOff(wide, x, labels, means, std, a, b), want, 1e-15);
  // Labels swapped between the two components: far off.
  assert.ok(componentScoreOff(score(std), x, [1, 1, 0, 0], means, std, a, b) > 1);
  assert.throws(() => componentScoreOff(right, x, [0, 1], means, std, a, b), /2 labels for 4 rows/);
});
