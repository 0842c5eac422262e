import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  grid25Mixture,
  marginal,
  mixtureLogDensity,
  MixtureOracle,
  mixtureScoreJs,
  ring8Mixture,
  sampleMixture,
  threeClustersMixture,
  twoComponent1dMixture,
} from "../core/data/mixtures.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, moments2, near, noLeak } from "./helpers.ts";

Deno.test("ring8 is seed 004's ring: 8 means at radius 3, angles 2 pi k / 8, std 0.25, equal weights", () => {
  const m = ring8Mixture();
  assert.equal(m.means.length, 8);
  m.means.forEach((mu, k) => {
    near(Math.hypot(mu[0], mu[1]), 3, 1e-12, "radius");
    near(
      Math.atan2(mu[1], mu[0]),
      Math.atan2(Math.sin((2 * Math.PI * k) / 8), Math.cos((2 * Math.PI * k) / 8)),
      1e-12,
    );
  });
  assert.equal(m.std, 0.25);
  assert.deepEqual(m.weights, Array(8).fill(1 / 8));
  assert.deepEqual(grid25Mixture().means.length, 25);
  assert.deepEqual(threeClustersMixture().means, [[-2, -2], [2, -2], [0, 2.5]]);
});

Deno.test("the log-density integrates to 1 (grid quadrature) and matches a single Gaussian's", () => {
  for (const m of [ring8Mixture(), threeClustersMixture()]) {
    let sum = 0;
    const h = 0.02;
    const pts: number[] = [];
    for (let x = -7; x < 7; x += h) for (let y = -7; y < 7; y += h) pts.push(x + h / 2, y + h / 2);
    const lp = mixtureLogDensity(m, pts);
    for (const v of lp) sum += Math.exp(v) * h * h;
    near(sum, 1, 1e-6, "integral of p");
  }
  const one = { means: [[0.5, -1]], std: 2, weights: [1] };
  const lp = mixtureLogDensity(one, [1.5, 0])[0];
  near(lp, -Math.log(2 * Math.PI * 4) - (1 + 1) / 8, 1e-14, "Gaussian log-density");
});

Deno.test("the closed-form score is the gradient of the log-density (central differences), at several noise levels", () => {
  const stream = new Streams(3).get("points");
  for (const base of [ring8Mixture(), threeClustersMixture(), twoComponent1dMixture()]) {
    for (const [a, s] of [[1, 0], [1, 0.5], [Math.sqrt(0.3), Math.sqrt(0.7)], [0.99, 0.05]]) {
      const m = marginal(base, a, s);
      const dim = m.means[0].length;
      const x = Array.from({ length: 50 * dim }, () => 4 * (2 * stream.uniform() - 1));
      const score = mixtureScoreJs(m, x);
      const h = 1e-5;
      for (let i = 0; i < 50; i++) {
        for (let d = 0; d < dim; d++) {
          const xp = x.slice(i * dim, i * dim + dim), xm = xp.slice();
          xp[d] += h;
          xm[d] -= h;
          const fd = (mixtureLogDensity(m, xp)[0] - mixtureLogDensity(m, xm)[0]) / (2 * h);
          near(score[i * dim + d], fd, 1e-5 * Math.max(1, Math.abs(fd)), `score (a=${a}, s=${s})`);
        }
      }
    }
  }
});

Deno.test("the tensor score equals the float64 score, with scalar and per-row noise levels", async () => {
  await backend();
  const base = ring8Mixture();
  const oracle = new MixtureOracle(base);
  const stream = new Streams(4).get("points");
  const n = 64;
  const x = Array.from({ length: 2 * n }, () => 5 * (2 * stream.uniform() - 1));
  await noLeak(() => {
    const a = 0.8, s = 0.6;
    const want = mixtureScoreJs(marginal(base, a, s), x);
    const got = tf.tidy(() => oracle.score(tf.tensor2d(x, [n, 2]), a, s).dataSync());
    for (let i = 0; i < 2 * n; i++) {
      near(got[i], want[i], 2e-4 * Math.max(1, Math.abs(want[i])), "scalar a, s");
    }
    // Per-row levels: row i uses (a_i, s_i).
    const as = Array.from({ length: n }, (_, i) => 0.3 + 0.7 * (i / n));
    const ss = as.map((v) => Math.sqrt(1 - v * v) + 0.01);
    const rows = tf.tidy(() =>
      oracle.score(tf.tensor2d(x, [n, 2]), tf.tensor2d(as, [n, 1]), tf.tensor2d(ss, [n, 1]))
        .dataSync()
    );
    for (let i = 0; i < n; i++) {
      const w = mixtureScoreJs(marginal(base, as[i], ss[i]), x.slice(2 * i, 2 * i + 2));
      near(rows[2 * i], w[0], 2e-4 * Math.max(1, Math.abs(w[0])), "per-row a, s");
      near(rows[2 * i + 1], w[1], 2e-4 * Math.max(1, Math.abs(w[1])), "per-row a, s");
    }
  });
  oracle.dispose();
});

Deno.test("numbers a and s give the bits of per-row columns of the same values (score, log-density, component logits)", async () => {
  await backend();
  // The number path computes a^2 std^2 + s^2 and a^2 / 2 in JavaScript float32; the column path
  // in tfjs ops. Each float64 operation of float32 operands rounded once is the float32 one.
  const stream = new Streams(6).get("levels");
  const n = 33;
  const x = Array.from({ length: 2 * n }, () => 6 * (2 * stream.uniform() - 1));
  const levels = [[1, 0], [0.8, 0.6], [1e-3, 0.9999995], [0.9999, 0.0141], [0.7071067811865476, 3]];
  for (let k = 0; k < 20; k++) levels.push([stream.uniform(), 3 * stream.uniform()]);
  for (const mixture of [ring8Mixture(), threeClustersMixture()]) {
    const oracle = new MixtureOracle(mixture);
    await noLeak(() => {
      for (const [a, s] of levels) {
        tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, 2]);
          const ac = tf.fill([n, 1], a) as tf.Tensor2D, sc = tf.fill([n, 1], s) as tf.Tensor2D;
          const pairs: [string, tf.Tensor, tf.Tensor][] = [
            ["score", oracle.score(xt, a, s), oracle.score(xt, ac, sc)],
            ["logDensity", oracle.logDensity(xt, a, s), oracle.logDensity(xt, ac, sc)],
            [
              "componentLogits",
              oracle.componentLogits(xt, a, s),
              oracle.componentLogits(xt, ac, sc),
            ],
          ];
          for (const [name, got, want] of pairs) {
            assert.deepEqual(got.dataSync(), want.dataSync(), `${name} at a = ${a}, s = ${s}`);
          }
        });
      }
    });
    oracle.dispose();
  }
});

Deno.test("mixture samples have the mixture's moments and labels", () => {
  const m = threeClustersMixture();
  const { x, labels } = sampleMixture(m, 30000, new Streams(5).get("data"));
  const mom = moments2(x);
  near(mom.mean[0], 0, 0.03, "mean x");
  near(mom.mean[1], (-2 - 2 + 2.5) / 3, 0.03, "mean y");
  for (let i = 0; i < 100; i++) {
    const mu = m.means[labels[i]];
    assert.ok(
      Math.hypot(x[2 * i] - mu[0], x[2 * i + 1] - mu[1]) < 6 * m.std,
      "point near its label's mean",
    );
  }
  const bal = DATASETS.three_clusters.sample(3001, new Streams(5).get("data")).labels!;
  const counts = [0, 0, 0];
  bal.forEach((l) => counts[l]++);
  assert.deepEqual(counts, [1001, 1000, 1000], "three_clusters is balanced as seed 000 builds it");
});
