import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { dense } from "../core/nn/dense.ts";
import { Network, oneHot } from "../core/nn/network.ts";
import type { NetworkSpec } from "../core/nn/spec.ts";
import { flatWeights as fusedWeights, viewWeights } from "../core/nn/weights.ts";
import type { Weights } from "../core/nn/weights.ts";
import type { Stream } from "../core/runtime/random.ts";
import { Adam, learningRate } from "../core/nn/adam.ts";
import { Ema } from "../core/nn/ema.ts";
import { sinusoidal, SinusoidalRows } from "../core/nn/sinusoidal.ts";
import { oneHotIndices } from "../core/nn/one_hot.ts";
import { DivergenceError, fit, trainStep } from "../core/nn/train.ts";
import { type RegressionBatch, regressionLoss, regressionStep } from "../core/nn/regression.ts";
import {
  continuousDsmLoss,
  continuousDsmRegression,
  drawTimes,
} from "../core/objectives/continuous_dsm.ts";
import { vpSde } from "../core/noise/sde.ts";
import { dsmLoss, dsmRegression } from "../core/objectives/dsm.ts";
import { drawSigmas, ncsnLoss, ncsnRegression } from "../core/objectives/ncsn.ts";
import {
  ddpmLoss,
  ddpmRegression,
  ddpmScoreLoss,
  drawTimesAndNoise,
} from "../core/objectives/ddpm.ts";
import { Params } from "../core/nn/params.ts";
import { paramSpecs } from "../core/nn/spec.ts";
import {
  epsFromNetwork,
  logSigmaInput,
  scoreFunctionOf,
  sigmaScoreFromNetwork,
} from "../core/models.ts";
import { exactScoreMatchingLoss } from "../core/objectives/score_matching.ts";
import { slicedScoreMatchingLoss } from "../core/objectives/sliced_score_matching.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { trainDdpm } from "../core/recipes/ddpm.ts";
import { createProgress } from "../core/harness/progress.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { Streams } from "../core/runtime/random.ts";
import {
  ddpmNoisePredictor,
  noiseConditionalMlp,
  scoreNet2d,
  timeConditionalMlp,
} from "../core/nn/architectures.ts";
import { backend, near, noLeak } from "./helpers.ts";

Deno.test("dense: value and gradients (first and second order) equal tfjs's own matMul", async () => {
  await backend();
  await noLeak(() =>
    tf.tidy(() => {
      const s = new Streams(1).get("t");
      const x = tf.tensor2d(s.normals(6 * 5), [6, 5]);
      const w = tf.tensor2d(s.normals(5 * 3), [5, 3]);
      const b = tf.tensor1d(s.normals(3));
      const ours = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) =>
        tf.sum(tf.square(tf.softplus(dense(x, w, b))));
      const theirs = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) =>
        tf.sum(tf.square(tf.softplus(tf.add(tf.matMul(x, w), b))));
      const g1 = tf.grads(ours as never)([x, w, b]);
      const g2 = tf.grads(theirs as never)([x, w, b]);
      for (let i = 0; i < 3; i++) {
        const a = g1[i].dataSync(), c = g2[i].dataSync();
        a.forEach((v, j) => near(v, c[j], 1e-4 * Math.max(1, Math.abs(c[j])), `grad ${i}`));
      }
      // Second order: gradient wrt W of the input-gradient norm (as exact score matching needs).
      const second = (f: typeof ours) =>
        tf.grad((w: tf.Tensor) =>
          tf.sum(tf.square(tf.grad((x: tf.Tensor) => f(x as tf.Tensor2D, w as tf.Tensor2D, b))(x)))
        )(w);
      const s1 = second(ours).dataSync(), s2 = second(theirs).dataSync();
      s1.forEach((v, j) =>
        near(v, s2[j], 1e-3 * Math.max(1, Math.abs(s2[j])), "second-order grad")
      );
    })
  );
});

Deno.test("Adam: one update equals PyTorch's formula by hand (with AdamW decay)", async () => {
  await backend();
  const p = new Params(
    [{ name: "w", shape: [3], init: { kind: "zeros" } }],
    new Float32Array([1, -2, 0.5]),
  );
  const opt = new Adam(p, { lr: 0.1, weightDecay: 0.01 });
  const grads = [[0.5, -1, 2], [0.1, 0.2, -0.3]];
  const want = [1, -2, 0.5];
  const m = [0, 0, 0], v = [0, 0, 0];
  grads.forEach((g, k) => {
    tf.tidy(() => opt.update(tf.tensor1d(g)));
    const t = k + 1;
    for (let i = 0; i < 3; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      want[i] *= 1 - 0.1 * 0.01;
      want[i] -= (0.1 / (1 - 0.9 ** t)) * m[i] /
        (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
    }
  });
  p.read().forEach((x, i) => near(x, want[i], 1e-6, `param ${i}`));
  assert.equal(opt.step, 2);
  opt.dispose();
  p.dispose();
});

Deno.test("Adam: every parameter's update is the kernel's float32 formula bit for bit (odd size: whole vectors and a tail; with and without decay)", async () => {
  await backend();
  const f = Math.fround;
  const draws = new Streams(5).get("adam");
  const size = 1027;
  for (const weightDecay of [0, 0.01]) {
    const p = new Params(
      [{ name: "w", shape: [size], init: { kind: "zeros" } }],
      Float32Array.from({ length: size }, () => draws.normal()),
    );
    const opt = new Adam(p, { lr: 0.01, weightDecay });
    const want = p.read().slice();
    const m = new Float32Array(size), v = new Float32Array(size);
    for (let t = 1; t <= 3; t++) {
      const g = Float32Array.from({ length: size }, () => draws.normal());
      tf.tidy(() => opt.update(tf.tensor1d(g)));
      // The kernel's operations, each rounded to float32 (its scalars come in as float32).
      const [b1, b1c, b2, b2c] = [f(0.9), f(1 - 0.9), f(0.999), f(1 - 0.999)];
      const step = f(0.01 / (1 - 0.9 ** t)), sbc2 = f(Math.sqrt(1 - 0.999 ** t));
      const eps = f(1e-8), decay = f(1 - 0.01 * weightDecay);
      for (let i = 0; i < size; i++) {
        m[i] = f(f(m[i] * b1) + f(g[i] * b1c));
        v[i] = f(f(v[i] * b2) + f(f(g[i] * g[i]) * b2c));
        if (weightDecay > 0) want[i] = f(want[i] * decay);
        const denom = f(f(f(Math.sqrt(v[i])) / sbc2) + eps);
        want[i] = f(want[i] - f(f(m[i] * step) / denom));
      }
      assert.deepEqual(p.read(), want, `decay ${weightDecay}, update ${t}`);
    }
    opt.dispose();
    p.dispose();
  }
});

Deno.test("EMA: each update is tfjs's mul, mul, add bit for bit (odd size, warm-up rates), and leaves the weights alone", async () => {
  await backend();
  const draws = new Streams(4).get("ema");
  const size = 1027;
  const p = new Params(
    [{ name: "w", shape: [size], init: { kind: "zeros" } }],
    Float32Array.from({ length: size }, () => draws.normal()),
  );
  const ema = new Ema(p, 0.999);
  let want: Float32Array = p.read().slice();
  for (let k = 0; k < 5; k++) {
    const w = Float32Array.from({ length: size }, () => draws.normal());
    p.write(w);
    ema.update();
    const m = Math.min(0.999, (1 + k) / (10 + k));
    want = tf.tidy(() =>
      tf.add(tf.mul(tf.tensor1d(want), m), tf.mul(tf.tensor1d(w), 1 - m)).dataSync()
    ) as Float32Array;
    assert.deepEqual(ema.read(), want, `update ${k + 1}`);
    assert.deepEqual(p.read(), w, "the weights are not touched");
  }
  assert.equal(ema.updates, 5);
  ema.dispose();
  p.dispose();
});

Deno.test("regressionLoss: value and gradient are the tensor formulas' bits (mean, sigma^2-weighted mean, halved row sums; odd shapes, scales, upstream factors)", async () => {
  await backend();
  const draws = new Streams(6).get("mse");
  for (let trial = 0; trial < 90; trial++) {
    const rows = 1 + draws.int(300),
      cols = 1 + draws.int(4),
      scale = 10 ** (6 * draws.uniform() - 3);
    const data = () => Float32Array.from({ length: rows * cols }, () => scale * draws.normal());
    const p = tf.variable(tf.tensor2d(data(), [rows, cols]));
    const target = data();
    const q = tf.tensor2d(target, [rows, cols]);
    const lambda = Float32Array.from({ length: rows }, () => draws.uniform() * 3);
    const share = draws.uniform();
    const form = (["mean", "weighted", "halfRowSum"] as const)[trial % 3];
    const tfjs = tf.variableGrads(() =>
      tf.mul(
        share,
        form === "mean"
          ? tf.mean(tf.squaredDifference(p, q))
          : form === "weighted"
          ? tf.mean(tf.mul(tf.tensor2d(lambda, [rows, 1]), tf.square(tf.sub(p, q))))
          : tf.mul(0.5, tf.mean(tf.sum(tf.square(tf.sub(p, q)), 1))),
      )
    );
    const r = {
      x: new Float32Array(rows),
      dim: 1,
      target,
      ...(form === "weighted" ? { rowWeights: lambda } : {}),
      ...(form === "halfRowSum" ? { reduce: "halfRowSum" as const } : {}),
    };
    const ours = tf.variableGrads(() => tf.mul(share, regressionLoss(p, r)));
    const tag = `${form} ${rows} x ${cols}, scale ${scale}`;
    assert.equal(ours.value.dataSync()[0], tfjs.value.dataSync()[0], `value: ${tag}`);
    assert.deepEqual(ours.grads[p.name].dataSync(), tfjs.grads[p.name].dataSync(), `grad: ${tag}`);
    tf.dispose([
      p,
      q,
      tfjs.value,
      ours.value,
      ...Object.values(tfjs.grads),
      ...Object.values(ours.grads),
    ]);
  }
  assert.throws(
    () =>
      regressionLoss(tf.zeros([2, 2]), {
        x: new Float32Array(2),
        dim: 1,
        target: new Float32Array(6),
      }),
    /output has 4 values and the target 6/,
  );
  assert.throws(
    () =>
      regressionLoss(tf.zeros([3, 2]), {
        x: new Float32Array(3),
        dim: 1,
        target: new Float32Array(6),
        rowWeights: new Float32Array(2),
      }),
    /2 row weights for an output of 3 rows/,
  );
});

Deno.test("sinusoidal: [sin(w_k s), cos(w_k s)] with w_k = maxFrequency^(k/(K-1)), against float64 closed forms", async () => {
  await backend();
  const s = [0, 0.25, 0.5, 1, -0.7, 3];
  for (const [K, maxFrequency] of [[8, 200], [1, 7], [5, 1000], [2, 10]]) {
    const got = tf.tidy(() =>
      sinusoidal(tf.tensor2d(s, [s.length, 1]), K, maxFrequency).arraySync()
    );
    for (const [i, si] of s.entries()) {
      for (let k = 0; k < K; k++) {
        // the frequencies written out: 1, then geometric up to maxFrequency (one frequency: 1)
        const w = K === 1 ? 1 : Math.exp((Math.log(maxFrequency) * k) / (K - 1));
        const arg = Math.fround(Math.fround(w) * Math.fround(si));
        // float32 sin/cos of a float32 argument up to ~1000: within a few ulps of the argument
        const tol = 1e-6 * (1 + Math.abs(arg));
        near(got[i][k], Math.sin(arg), tol, `sin, K ${K}, s ${si}, k ${k}`);
        near(got[i][K + k], Math.cos(arg), tol, `cos, K ${K}, s ${si}, k ${k}`);
      }
    }
  }
});

Deno.test("SinusoidalRows: kept rows are sinusoidal()'s bits, for repeats, fresh batches, +0 and -0, NaN, and past the kept count", async () => {
  await backend();
  const draws = new Streams(7).get("sinusoidal");
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  for (const [frequencies, maxFrequency] of [[8, 200], [1, 1], [5, 1000]]) {
    // One keeps everything it sees; one saturates at the first batch of 400 continuous values.
    const memos = [
      new SinusoidalRows(frequencies, maxFrequency),
      new SinusoidalRows(frequencies, maxFrequency, 300),
    ];
    for (let trial = 0; trial < 12; trial++) {
      const n = trial % 3 === 2 ? 400 : 1 + draws.int(400);
      const T = 2 + draws.int(500);
      const values = Float32Array.from(
        { length: n },
        () => trial % 3 === 2 ? 4 * draws.uniform() - 2 : draws.int(T) / (T - 1),
      );
      // NaN and the infinities too: a kept row must have every bit of a fresh one
      if (trial === 0) values.set([0, -0, -0, 0, 1, -1, NaN, Infinity, -Infinity].slice(0, n));
      const s = tf.tensor2d(values, [n, 1]);
      const direct = sinusoidal(s, frequencies, maxFrequency);
      for (const [m, memo] of memos.entries()) {
        const kept = memo.of(s);
        assert.deepEqual(
          bits(kept),
          bits(direct),
          `${frequencies} frequencies, memo ${m}, trial ${trial}`,
        );
        kept.dispose();
      }
      tf.dispose([s, direct]);
    }
  }
});

Deno.test("Adam's cosine schedule: lr at the first update, lr/2 halfway, 0 from the last on; each update uses it", async () => {
  await backend();
  const o = { lr: 0.2, cosineSteps: 10 };
  assert.equal(learningRate(o, 1), 0.2);
  near(learningRate(o, 6), 0.1, 1e-15, "halfway");
  near(learningRate(o, 11), 0, 1e-15, "end");
  near(learningRate(o, 50), 0, 1e-15, "after the end");
  assert.equal(learningRate({ lr: 0.2 }, 7), 0.2, "constant without a schedule");
  // The first update of Adam moves each weight by lr_1 sign(g) (bias-corrected moments); the
  // sixth, with a constant gradient, by lr_6.
  const p = new Params([{ name: "w", shape: [2], init: { kind: "zeros" } }], new Float32Array(2));
  const opt = new Adam(p, o);
  const moves: number[] = [];
  for (let k = 0; k < 6; k++) {
    const before = p.read()[0];
    tf.tidy(() => opt.update(tf.tensor1d([1, -1])));
    moves.push(before - p.read()[0]);
  }
  near(moves[0], learningRate(o, 1), 1e-6, "first move");
  near(moves[5], learningRate(o, 6), 1e-6, "sixth move");
  opt.dispose();
  p.dispose();
});

Deno.test("no tensor leaks: the tensor count is flat over many training and sampling steps", async () => {
  await backend();
  const spec = ddpmNoisePredictor({ T: 20, timeEmbedDim: 4, hidden: [16, 16] });
  const streams = new Streams(1);
  const net = new Network(spec, streams.get("init"));
  const data = DATASETS.ring8.sample(512, streams.get("data"));
  const schedule = linearBetaSchedule(20);
  const progress = createProgress("test", "silent");
  const train = (epochs: number) =>
    trainDdpm({
      net,
      schedule,
      x: data.x,
      dim: 2,
      batchSize: 64,
      epochs,
      lr: 1e-3,
      streams,
      progress,
    });
  await train(1); // warm-up: kernels and cached constants
  const before = tf.memory().numTensors;
  await train(25); // 200 steps
  const w = net.params.views();
  for (let k = 0; k < 5; k++) {
    ddpmSample(epsFromNetwork(net, w, 20), schedule, streams.perSample("s", 0, 100), { dim: 2 });
  }
  tf.dispose(w);
  assert.equal(tf.memory().numTensors, before, "tensor count after 200 steps and 5 sampling runs");
  net.dispose();
});

Deno.test("a NaN loss stops training with the step and the last finite loss", async () => {
  await backend();
  const p = new Params([{ name: "w", shape: [1], init: { kind: "zeros" } }], new Float32Array([1]));
  const opt = new Adam(p, { lr: 0.1 });
  await assert.rejects(
    fit({
      params: p,
      optimizer: opt,
      steps: 10,
      gradient: "autodiff",
      loss: (weights, step) => {
        const w = (weights.kind === "views" ? weights.tensors : {}).w;
        return (step < 3 ? tf.sum(tf.square(w)) : tf.div(tf.sum(w), 0)) as tf.Scalar;
      },
    }),
    (e: unknown) => {
      assert.ok(e instanceof DivergenceError);
      assert.equal(e.step, 3);
      assert.ok(e.lastFiniteLoss !== null && Number.isFinite(e.lastFiniteLoss));
      assert.match(e.message, /diverged at step 3.*last finite loss/);
      return true;
    },
  );
  opt.dispose();
  p.dispose();
});

/** Every network family of the harness, with per-row and shared ([1, w]) features. */
/** A ReLU net with a learned time embedding, a label input and a radius MLP feature. */
function labelledSpec(hidden: number[]): NetworkSpec {
  return {
    inputDim: 2,
    features: [
      { kind: "embedding", name: "t", classes: 7, dim: 4 },
      { kind: "input", name: "label", dim: 3 },
      { kind: "mlp", name: "radius", sizes: [1, 5, 4], activation: "relu" },
    ],
    hidden,
    activation: "relu",
    outputDim: 2,
  };
}

const FAMILIES: {
  name: string;
  spec: NetworkSpec;
  features: (n: number, s: Stream) => Record<string, tf.Tensor2D>;
}[] = [
  {
    name: "ddpm noise predictor (embedding, relu)",
    spec: ddpmNoisePredictor({ T: 7, timeEmbedDim: 4, hidden: [8, 8] }),
    features: (n) => ({ t: oneHot(Array.from({ length: n }, (_, i) => (i * 3) % 7), 7) }),
  },
  {
    name: "shared time row (embedding, relu)",
    spec: ddpmNoisePredictor({ T: 7, timeEmbedDim: 4, hidden: [8, 8] }),
    features: () => ({ t: oneHot([5], 7) }),
  },
  { name: "ScoreNet2D (softplus)", spec: scoreNet2d([8, 8, 8]), features: () => ({}) },
  {
    name: "noise-conditional (input, silu)",
    spec: noiseConditionalMlp([8, 8]),
    features: (n, s) => ({ logSigma: tf.tensor2d(s.normals(n), [n, 1]) }),
  },
  {
    name: "sinusoidal time, shared (silu)",
    spec: timeConditionalMlp({ hidden: [8, 8], frequencies: 3, maxFrequency: 20 }),
    features: () => ({ t: tf.tensor2d([[0.37]]) }),
  },
  {
    name: "label and radius MLP (relu)",
    spec: {
      inputDim: 2,
      features: [
        { kind: "input", name: "label", dim: 3 },
        { kind: "mlp", name: "radius", sizes: [1, 5, 4], activation: "relu" },
      ],
      hidden: [8, 8],
      activation: "relu",
      outputDim: 2,
    },
    features: (n, s) => ({
      label: oneHot(Array.from({ length: n }, (_, i) => i % 3), 3),
      radius: tf.tensor2d(s.normals(n), [n, 1]),
    }),
  },
  {
    name: "rows shared by groups of 3 rows (embedding shared, input and relu MLP grouped)",
    spec: labelledSpec([8, 8]),
    features: (_n, s) => ({
      t: oneHot([3], 7),
      label: oneHot([2, 0, 1], 3),
      radius: tf.tensor2d(s.normals(3), [3, 1]),
    }),
  },
  {
    name: "silu MLP feature",
    spec: {
      inputDim: 2,
      features: [{ kind: "mlp", name: "r", sizes: [1, 5, 6, 4], activation: "silu" }],
      hidden: [8],
      activation: "softplus",
      outputDim: 2,
    },
    features: (n, s) => ({ r: tf.tensor2d(s.normals(n), [n, 1]) }),
  },
];

Deno.test("fused network op: output and gradients (weights and x) equal autodiff's, every family", async () => {
  await backend();
  for (const fam of FAMILIES) {
    await noLeak(() =>
      tf.tidy(() => {
        const s = new Streams(3).get(fam.name);
        const net = new Network(fam.spec, s);
        const n = 9;
        const x = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const feats = fam.features(n, s);
        const target = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const loss = (w: Weights, xx: tf.Tensor2D) =>
          tf.sum(tf.mul(tf.square(net.apply(w, xx, feats)), target)) as tf.Scalar;
        const viaViews = tf.grads((flat: tf.Tensor, xx: tf.Tensor) =>
          loss(viewWeights(net.params.split(flat as tf.Tensor1D)), xx as tf.Tensor2D)
        )([net.params.flat, x]);
        const viaFused = tf.grads((flat: tf.Tensor, xx: tf.Tensor) =>
          loss(fusedWeights(flat as tf.Tensor1D), xx as tf.Tensor2D)
        )([net.params.flat, x]);
        const outA = net.apply(net.params.views(), x, feats).dataSync();
        const outB = net.apply(net.params.fused(), x, feats).dataSync();
        outA.forEach((v, i) =>
          near(outB[i], v, 1e-5 * Math.max(1, Math.abs(v)), `${fam.name}: out`)
        );
        for (const [k, label] of [[0, "d weights"], [1, "d x"]] as const) {
          const a = viaViews[k].dataSync(), b = viaFused[k].dataSync();
          assert.equal(a.length, b.length);
          let nonzero = 0;
          a.forEach((v, i) => {
            if (v !== 0) nonzero++;
            near(b[i], v, 1e-4 * Math.max(1, Math.abs(v)), `${fam.name}: ${label}[${i}]`);
          });
          assert.ok(nonzero > a.length / 3, `${fam.name}: ${label} is mostly non-zero`);
        }
        net.dispose();
      })
    );
  }
});

Deno.test("fused network op: one-hot rows read by index give the scanned rows' bits (output, weight and x gradients; per-row and shared t)", async () => {
  await backend();
  const s = new Streams(11).get("index-rows");
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  const net = new Network(ddpmNoisePredictorForTest(), s);
  for (const n of [1, 7, 256]) {
    await noLeak(() =>
      tf.tidy(() => {
        const x = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const target = tf.tensor2d(s.normals(n * 2), [n, 2]);
        for (const rows of [n, 1]) {
          const t = Array.from({ length: rows }, () => s.int(50));
          const indexed = oneHot(t, 50); // remembers its indices
          const scanned = tf.add(oneHot(t, 50), 0); // the same rows, made by tfjs: scanned
          assert.ok(oneHotIndices(indexed) && !oneHotIndices(scanned));
          const run = (rowsT: tf.Tensor2D) =>
            tf.grads((flat: tf.Tensor, xx: tf.Tensor) =>
              tf.sum(tf.mul(
                net.apply(fusedWeights(flat as tf.Tensor1D), xx as tf.Tensor2D, { t: rowsT }),
                target,
              )) as tf.Scalar
            )([net.params.flat, x]);
          const [a, b] = [run(indexed), run(scanned as tf.Tensor2D)];
          const tag = `${n} rows, t rows ${rows}`;
          assert.deepEqual(bits(a[0]), bits(b[0]), `d weights: ${tag}`);
          assert.deepEqual(bits(a[1]), bits(b[1]), `d x: ${tag}`);
          const w = net.params.fused();
          assert.deepEqual(
            bits(net.apply(w, x, { t: indexed })),
            bits(net.apply(w, x, { t: scanned as tf.Tensor2D })),
            `out: ${tag}`,
          );
          tf.dispose(w);
        }
      })
    );
  }
  net.dispose();
});

Deno.test("fused network op: feature rows shared by groups of rows give each group the bits of its own pass (output, d x; fused and autodiff); a row count that does not divide is refused", async () => {
  await backend();
  const s = new Streams(12).get("groups");
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  const net = new Network(labelledSpec([40, 36]), s); // wide enough for the sparse products
  for (const [groups, per] of [[3, 5], [4, 7], [2, 1]]) {
    await noLeak(() =>
      tf.tidy(() => {
        const n = groups * per;
        const x = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const target = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const label = oneHot(Array.from({ length: groups }, (_, g) => g % 3), 3);
        const radius = tf.tensor2d(s.normals(groups), [groups, 1]);
        const t = oneHot([4], 7);
        const group = (a: tf.Tensor2D, g: number, rows: number) =>
          tf.slice(a, [g * rows, 0], [rows, -1]) as tf.Tensor2D;
        const weights = [net.params.fused(), net.params.views()];
        for (const w of weights) {
          const out = (xx: tf.Tensor2D, f: Record<string, tf.Tensor2D>, tg: tf.Tensor2D) => ({
            y: net.apply(w, xx, f),
            dx: tf.grad((z: tf.Tensor) => tf.sum(tf.mul(net.apply(w, z as tf.Tensor2D, f), tg)))(
              xx,
            ),
          });
          const all = out(x, { t, label, radius }, target);
          for (let g = 0; g < groups; g++) {
            const alone = out(
              group(x, g, per),
              { t, label: group(label, g, 1), radius: group(radius, g, 1) },
              group(target, g, per),
            );
            const tag = `${w.kind}, ${groups} groups of ${per}, group ${g}`;
            if (per === 1) continue; // one row per group is the per-row path: other sums' order
            assert.deepEqual(bits(group(all.y, g, per)), bits(alone.y), `out: ${tag}`);
            assert.deepEqual(
              bits(group(all.dx as tf.Tensor2D, g, per)),
              bits(alone.dx),
              `d x: ${tag}`,
            );
          }
        }
        tf.dispose(
          weights.map((w) => w.kind === "flat" ? w.flat : Object.values(w.tensors)).flat(),
        );
        assert.throws(
          () =>
            net.apply(net.params.fused(), tf.zeros([n + 1, 2]) as tf.Tensor2D, {
              t,
              label,
              radius,
            }),
          /network input "label" has \d+ rows; expected \d+ \(one per row\), 1 \(shared\) or a divisor/,
        );
      })
    );
  }
  net.dispose();
});

/** Seed 004's noise predictor with T = 50 (the one-hot test's network). */
function ddpmNoisePredictorForTest(): NetworkSpec {
  return {
    inputDim: 2,
    features: [{ kind: "embedding", name: "t", classes: 50, dim: 16 }],
    hidden: [64, 48],
    activation: "relu",
    outputDim: 2,
  };
}

Deno.test("a shared t gives a sample the same bits in a batch of one row as in any other batch (found by test:fields: one row used to sum (b + x W) + t W)", async () => {
  await backend();
  const s = new Streams(13).get("one-row");
  const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  // a time embedding alone, and beside per-row inputs (a label, a radius through its own MLP)
  for (
    const [spec, T] of [[ddpmNoisePredictorForTest(), 50], [labelledSpec([40, 36]), 7]] as const
  ) {
    const net = new Network(spec, s);
    const w = net.params.fused();
    const n = 5;
    const x = tf.tensor2d(s.normals(n * 2), [n, 2]);
    const extra: Record<string, tf.Tensor2D> = spec.features.length > 1
      ? { label: tf.tensor2d(s.normals(n * 3), [n, 3]), radius: tf.tensor2d(s.normals(n), [n, 1]) }
      : {};
    await noLeak(() =>
      tf.tidy(() => {
        for (const t of [0, 3, T - 1]) {
          const whole = bits(epsFromNetwork(net, w, T, extra)(x, t));
          for (let i = 0; i < n; i++) {
            const rowOf = (v: tf.Tensor2D) => tf.slice(v, [i, 0], [1, v.shape[1]]);
            const mine = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, rowOf(v)]));
            const one = epsFromNetwork(net, w, T, mine)(rowOf(x), t);
            assert.deepEqual(bits(one), whole.slice(2 * i, 2 * i + 2), `row ${i}, t ${t}`);
          }
        }
      })
    );
    tf.dispose([w, x, ...Object.values(extra)]);
    net.dispose();
  }
});

Deno.test("fused network op: a second-order gradient and a feature computed from the weights are refused", async () => {
  await backend();
  const net = new Network(scoreNet2d([8, 8]), new Streams(1).get("init"));
  const x = tf.tensor2d([[0.1, 0.2], [0.3, -0.4]]);
  // The input gradient inside a loss (exact score matching), differentiated again.
  assert.throws(
    () =>
      tf.grad((flat: tf.Tensor) =>
        tf.sum(
          tf.grad((xx: tf.Tensor) =>
            tf.sum(net.apply(fusedWeights(flat as tf.Tensor1D), xx as tf.Tensor2D))
          )(x),
        )
      )(net.params.flat),
    /first order, and this loss differentiates it again/,
  );
  const cond = new Network(noiseConditionalMlp([8]), new Streams(1).get("init"));
  assert.throws(
    () =>
      tf.grad((flat: tf.Tensor) =>
        tf.sum(cond.apply(fusedWeights(flat as tf.Tensor1D), x, {
          logSigma: tf.reshape(tf.slice(flat, 0, 2), [2, 1]) as tf.Tensor2D,
        }))
      )(cond.params.flat),
    /"logSigma" is computed from the weights being differentiated/,
  );
  // The fused forward-mode op takes no features, and its weight gradient is first order.
  assert.throws(
    () =>
      cond.jvp(fusedWeights(cond.params.flat), x, [x], {
        logSigma: tf.tensor2d([[0.5], [0.2]]),
      }),
    /the fused forward-mode op takes no features/,
  );
  assert.throws(
    () =>
      tf.tidy(() =>
        tf.grad((flat: tf.Tensor) =>
          tf.sum(
            tf.grad((f2: tf.Tensor) =>
              tf.sum(net.jvp(fusedWeights(f2 as tf.Tensor1D), x, [x]).tangents[0])
            )(flat),
          )
        )(net.params.flat)
      ),
    /first order and this loss differentiates it again/,
  );
  // Fused weights are a tensor container like any other: tf.dispose frees the handle, nothing else.
  const before = tf.memory().numTensors;
  const handle = net.params.fused();
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose(handle);
  assert.equal(tf.memory().numTensors, before);
  // A feature computed inside the loss from data only is fine.
  tf.tidy(() => {
    tf.grad((flat: tf.Tensor) =>
      tf.sum(cond.apply(fusedWeights(flat as tf.Tensor1D), x, {
        logSigma: tf.log(tf.add(tf.tensor2d([[0.5], [0.2]]), 1e-5)) as tf.Tensor2D,
      }))
    )(cond.params.flat);
  });
  tf.dispose([x]);
  net.dispose();
  cond.dispose();
});

Deno.test("fused forward-mode op: s(x), J v and the exact and sliced score-matching weight gradients equal autodiff's (relu, softplus, silu; odd sizes)", async () => {
  await backend();
  for (const activation of ["relu", "softplus", "silu"] as const) {
    await noLeak(() =>
      tf.tidy(() => {
        const s = new Streams(5).get(activation);
        const spec: NetworkSpec = {
          inputDim: 3,
          features: [],
          hidden: [13, 7, 9],
          activation,
          outputDim: 3,
        };
        const net = new Network(spec, s);
        const n = 11;
        const x = tf.tensor2d(s.normals(n * 3), [n, 3]);
        const v = tf.tensor2d(s.normals(n * 3), [n, 3]);
        const basis = [0, 1, 2].map((i) =>
          tf.tile(tf.oneHot([i], 3).toFloat(), [n, 1]) as tf.Tensor2D
        );
        const a = net.jvp(net.params.views(), x, [v, ...basis]);
        const b = net.jvp(net.params.fused(), x, [v, ...basis]);
        [a.value, ...a.tangents].forEach((t, k) => {
          const want = t.dataSync(), got = [b.value, ...b.tangents][k].dataSync();
          want.forEach((w, i) =>
            near(got[i], w, 1e-5 * Math.max(1, Math.abs(w)), `${activation} jvp ${k}`)
          );
        });
        const losses = {
          exact: (w: Weights) => exactScoreMatchingLoss(scoreFunctionOf(net, w), x),
          sliced: (w: Weights) => slicedScoreMatchingLoss(scoreFunctionOf(net, w), x, v),
        };
        for (const [name, loss] of Object.entries(losses)) {
          const viaViews = tf.grad((flat: tf.Tensor) =>
            loss(viewWeights(net.params.split(flat as tf.Tensor1D)))
          )(net.params.flat).dataSync();
          const viaFused = tf.grad((flat: tf.Tensor) => loss(fusedWeights(flat as tf.Tensor1D)))(
            net.params.flat,
          ).dataSync();
          let nonzero = 0;
          viaViews.forEach((w, i) => {
            if (w !== 0) nonzero++;
            near(viaFused[i], w, 2e-4 * Math.max(1, Math.abs(w)), `${activation} ${name}[${i}]`);
          });
          assert.ok(nonzero > viaViews.length / 3, `${activation} ${name}: mostly non-zero`);
        }
        net.dispose();
      })
    );
  }
});

/**
 * The seed's formulas written with tfjs ops (the references of the regression objectives): each
 * gives a loss of the weights `w` of `net` on one batch.
 */
const SEED_FORMULAS = {
  ddpm: (pred: tf.Tensor2D, noise: tf.Tensor2D) =>
    tf.mean(tf.squaredDifference(pred, noise)) as tf.Scalar,
  dsm: (pred: tf.Tensor2D, z: tf.Tensor2D, sigma: number) =>
    tf.mul(0.5, tf.mean(tf.sum(tf.square(tf.add(pred, tf.div(z, sigma))), 1))) as tf.Scalar,
  ncsn: (pred: tf.Tensor2D, z: tf.Tensor2D, sigma: tf.Tensor2D) =>
    tf.mean(
      tf.mul(tf.square(sigma), tf.square(tf.sub(pred, tf.neg(tf.div(z, sigma))))),
    ) as tf.Scalar,
  /** x_t = mean x0 + std eps with [N, 1] columns. */
  perturb: (mean: Float32Array, std: Float32Array, x0: tf.Tensor2D, eps: tf.Tensor2D) =>
    tf.add(
      tf.mul(tf.tensor2d(mean, [mean.length, 1]), x0),
      tf.mul(tf.tensor2d(std, [std.length, 1]), eps),
    ) as tf.Tensor2D,
};

/**
 * Train 3 copies of `spec` for `steps` steps on the same draws: the seed's formula through the
 * tape, the library's loss through the tape, and the library's regression (no tape); every loss
 * and the weights after must agree bit for bit, with no tensor left behind.
 */
function threeWays(
  spec: NetworkSpec,
  steps: number,
  draw: (step: number, draws: Stream) => {
    seed: (net: Network, w: Weights) => tf.Scalar;
    library: (net: Network, w: Weights) => tf.Scalar;
    regression: (net: Network) => RegressionBatch;
  },
): void {
  const runs = ["seed", "library", "regression"].map((how) => {
    const streams = new Streams(11);
    const net = new Network(spec, streams.get("init"));
    const opt = new Adam(net.params, { lr: 3e-3, weightDecay: 0.01 });
    const draws = streams.get("train");
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const d = draw(step, draws);
      losses.push(
        how === "regression"
          ? regressionStep(net.params, opt, { spec, batch: () => d.regression(net) }, step)
          : trainStep(net.params, opt, (w) => (how === "seed" ? d.seed : d.library)(net, w), step),
      );
    }
    assert.equal(tf.memory().numTensors, before, `${how}: tensors leaked`);
    const w = new Uint32Array(net.params.read().slice().buffer);
    net.dispose();
    opt.dispose();
    return { losses, w };
  });
  for (const i of [1, 2]) {
    assert.deepEqual(
      runs[i].losses,
      runs[0].losses,
      `losses (${["", "library", "regression"][i]})`,
    );
    assert.deepEqual(runs[i].w, runs[0].w, `weights (${["", "library", "regression"][i]})`);
  }
}

Deno.test("DDPM loss: the seed's formula, ddpmLoss and ddpmRegression train to the same bits (learned, sinusoidal and labelled nets)", async () => {
  await backend();
  const T = 50, B = 37;
  const s = linearBetaSchedule(T);
  const specs: [string, NetworkSpec][] = [
    ["learned", ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [40, 33] })],
    ["sinusoidal", ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [40] }, 2, "sinusoidal")],
    ["labelled", {
      ...ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [36, 36] }),
      features: [
        { kind: "embedding", name: "t", classes: T, dim: 8 },
        { kind: "input", name: "label", dim: 3 },
      ],
    }],
  ];
  for (const [name, spec] of specs) {
    threeWays(spec, 25, (_, draws) => {
      const x0 = draws.normals(B * 2).map((v) => 3 * v);
      const { t, eps } = drawTimesAndNoise(B, 2, T, draws);
      const features = (): Record<string, tf.Tensor2D> =>
        name === "labelled" ? { label: oneHot(Array.from(t, (v) => v % 3), 3) } : {};
      return {
        seed: (net, w) => {
          const xt = SEED_FORMULAS.perturb(
            Float32Array.from(t, (v) => Math.sqrt(s.alphaBar[v])),
            Float32Array.from(t, (v) => Math.sqrt(1 - s.alphaBar[v])),
            tf.tensor2d(x0, [B, 2]),
            tf.tensor2d(eps, [B, 2]),
          );
          return SEED_FORMULAS.ddpm(
            epsFromNetwork(net, w, T, features())(xt, t),
            tf.tensor2d(eps, [B, 2]),
          );
        },
        library: (net, w) =>
          ddpmLoss(
            epsFromNetwork(net, w, T, features()),
            s,
            tf.tensor2d(x0, [B, 2]),
            t,
            tf.tensor2d(eps, [B, 2]),
          ),
        regression: (net) => ddpmRegression(net, s, x0, t, eps, features()),
      };
    });
  }
});

Deno.test("DDPM score-form loss: the seed's formula, ddpmScoreLoss and ddpmRegression(score) train to the same bits", async () => {
  await backend();
  const T = 50, B = 33;
  const s = linearBetaSchedule(T);
  threeWays(ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [32, 32] }), 20, (_, draws) => {
    const x0 = draws.normals(B * 2).map((v) => 3 * v);
    const { t, eps } = drawTimesAndNoise(B, 2, T, draws);
    const std = Float32Array.from(t, (v) => Math.sqrt(1 - s.alphaBar[v]));
    return {
      seed: (net, w) => {
        const xt = SEED_FORMULAS.perturb(
          Float32Array.from(t, (v) => Math.sqrt(s.alphaBar[v])),
          std,
          tf.tensor2d(x0, [B, 2]),
          tf.tensor2d(eps, [B, 2]),
        );
        const target = tf.div(tf.neg(tf.tensor2d(eps, [B, 2])), tf.tensor2d(std, [B, 1]));
        return SEED_FORMULAS.ddpm(epsFromNetwork(net, w, T)(xt, t), target as tf.Tensor2D);
      },
      library: (net, w) =>
        ddpmScoreLoss(
          epsFromNetwork(net, w, T),
          s,
          tf.tensor2d(x0, [B, 2]),
          t,
          tf.tensor2d(eps, [B, 2]),
        ),
      regression: (net) => ddpmRegression(net, s, x0, t, eps, {}, "score"),
    };
  });
});

Deno.test("continuous DSM loss: the seed's formula, continuousDsmLoss and its regression train to the same bits (a t column and a label)", async () => {
  await backend();
  const B = 29, sde = vpSde();
  const base = timeConditionalMlp({ hidden: [24, 24], frequencies: 4, maxFrequency: 50 });
  const spec: NetworkSpec = {
    ...base,
    features: [...base.features, { kind: "input", name: "label", dim: 2 }],
  };
  threeWays(spec, 20, (_, draws) => {
    const x0 = draws.normals(B * 2).map((v) => 2 * v);
    const t = drawTimes(B, 1e-5, 1, draws);
    const z = draws.normals(B * 2);
    const label = () => oneHot(Array.from(t, (v) => (v > 0.5 ? 1 : 0)), 2);
    const column = () => tf.tensor2d(t, [B, 1]);
    return {
      seed: (net, w) => {
        const xt = SEED_FORMULAS.perturb(
          Float32Array.from(t, (v) => sde.meanCoef(v)),
          Float32Array.from(t, (v) => sde.std(v)),
          tf.tensor2d(x0, [B, 2]),
          tf.tensor2d(z, [B, 2]),
        );
        return SEED_FORMULAS.ddpm(
          net.apply(w, xt, { label: label(), t: column() }),
          tf.tensor2d(z, [B, 2]),
        );
      },
      library: (net, w) =>
        continuousDsmLoss(
          (xt, tc) => net.apply(w, xt, { label: label(), t: tc }),
          sde,
          tf.tensor2d(x0, [B, 2]),
          t,
          tf.tensor2d(z, [B, 2]),
        ),
      regression: () => continuousDsmRegression(sde, x0, t, z, { label: label() }),
    };
  });
});

Deno.test("DSM (halved row sums) and NCSN (sigma^2-weighted) losses: the seed's formulas, the library's losses and their regressions train to the same bits", async () => {
  await backend();
  const B = 31;
  threeWays(scoreNet2d([20, 20]), 20, (_, draws) => {
    const x0 = draws.normals(B * 2).map((v) => 2 * v);
    const z = draws.normals(B * 2);
    const sigma = 0.37;
    return {
      seed: (net, w) => {
        const x = tf.add(tf.tensor2d(x0, [B, 2]), tf.mul(sigma, tf.tensor2d(z, [B, 2])));
        return SEED_FORMULAS.dsm(net.apply(w, x as tf.Tensor2D), tf.tensor2d(z, [B, 2]), sigma);
      },
      library: (net, w) =>
        dsmLoss((x) => net.apply(w, x), tf.tensor2d(x0, [B, 2]), sigma, tf.tensor2d(z, [B, 2])),
      regression: () => dsmRegression(x0, 2, sigma, z),
    };
  });
  threeWays(noiseConditionalMlp([24, 24]), 20, (_, draws) => {
    const x0 = draws.normals(B * 2).map((v) => 2 * v);
    const z = draws.normals(B * 2);
    const sigma = drawSigmas(B, { kind: "logUniform", min: 0.01, max: 3 }, draws);
    const col = () => tf.tensor2d(sigma, [B, 1]);
    return {
      seed: (net, w) => {
        const x = tf.add(tf.tensor2d(x0, [B, 2]), tf.mul(col(), tf.tensor2d(z, [B, 2])));
        const pred = sigmaScoreFromNetwork(net, w)(x as tf.Tensor2D, col());
        return SEED_FORMULAS.ncsn(pred, tf.tensor2d(z, [B, 2]), col());
      },
      library: (net, w) =>
        ncsnLoss(
          sigmaScoreFromNetwork(net, w),
          tf.tensor2d(x0, [B, 2]),
          col(),
          tf.tensor2d(z, [B, 2]),
        ),
      regression: () => ncsnRegression(x0, sigma, z, { logSigma: logSigmaInput(col()) }),
    };
  });
});

Deno.test("initial weights follow PyTorch's laws: Linear U(±1/sqrt(fan_in)) for weight and bias, Embedding N(0, 1)", async () => {
  await backend();
  // Every feature kind, and hidden layers of different widths (a fan-in read from the wrong side
  // of a layer shows). PyTorch's first layer is one Linear of the concatenated inputs, so its
  // blocks and bias share the fan-in inputDim + the features' widths (2 + 4 + 1 + 16 + 6 = 29).
  const spec: NetworkSpec = {
    inputDim: 2,
    features: [
      { kind: "embedding", name: "t", classes: 50, dim: 4 },
      { kind: "input", name: "logSigma", dim: 1 },
      { kind: "mlp", name: "r", sizes: [1, 16, 16], activation: "silu" },
      { kind: "sinusoidal", name: "s", frequencies: 3, maxFrequency: 20 },
    ],
    hidden: [96, 160],
    activation: "relu",
    outputDim: 2,
  };
  const fanIn: Record<string, number> = {
    "r.0.w": 1,
    "r.0.b": 1,
    "r.1.w": 16,
    "r.1.b": 16,
    "in.x": 29,
    "in.t": 29,
    "in.logSigma": 29,
    "in.r": 29,
    "in.s": 29,
    "in.b": 29,
    "h1.w": 96,
    "h1.b": 96,
    "out.w": 160,
    "out.b": 160,
  };
  const p = new Params(paramSpecs(spec), new Streams(3).get("init"));
  try {
    const values = p.read();
    assert.deepEqual(p.layout.map((s) => s.name).sort(), ["t.table", ...Object.keys(fanIn)].sort());
    for (const s of p.layout) {
      const w = values.subarray(s.offset, s.offset + s.size);
      const n = w.length;
      const mean = w.reduce((a, v) => a + v, 0) / n;
      const variance = w.reduce((a, v) => a + v * v, 0) / n;
      if (s.name === "t.table") {
        // N(0, 1): mean within 6 standard errors, E[w^2] = 1 within 6 of its (sqrt(2/n)).
        assert.ok(Math.abs(mean) < 6 / Math.sqrt(n), `${s.name}: mean ${mean}`);
        assert.ok(Math.abs(variance - 1) < 6 * Math.sqrt(2 / n), `${s.name}: E[w^2] ${variance}`);
        continue;
      }
      const bound = 1 / Math.sqrt(fanIn[s.name]);
      const max = w.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      assert.ok(max <= bound, `${s.name}: |w| up to ${max} beyond ${bound}`);
      // U(-b, b): E[w^2] = b^2 / 3, sd of the mean of n squares b^2 sqrt(4/45 / n); 6 of them.
      const tol = 6 * bound * bound * Math.sqrt(4 / 45 / n);
      assert.ok(
        Math.abs(variance - bound * bound / 3) < tol,
        `${s.name}: E[w^2] ${variance} against ${bound * bound / 3} ± ${tol}`,
      );
      // Centred: the mean within 6 of its standard errors, b / sqrt(3 n).
      assert.ok(Math.abs(mean) < 6 * bound / Math.sqrt(3 * n), `${s.name}: mean ${mean}`);
      if (n >= 64) assert.ok(max > 0.9 * bound, `${s.name}: |w| only up to ${max} of ${bound}`);
    }
  } finally {
    p.dispose();
  }
});
