import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { exactScoreMatchingLoss } from "../core/objectives/score_matching.ts";
import {
  drawProjections,
  slicedScoreMatchingLoss,
} from "../core/objectives/sliced_score_matching.ts";
import { dsmLoss } from "../core/objectives/dsm.ts";
import { drawSigmas, ncsnLoss } from "../core/objectives/ncsn.ts";
import { fisherDivergence, gridPoints } from "../core/metrics/fisher.ts";
import { lineIntegral } from "../core/metrics/path_integral.ts";
import {
  mixtureLogDensity,
  MixtureOracle,
  ring8Mixture,
  sampleMixture,
} from "../core/data/mixtures.ts";
import { Network } from "../core/nn/network.ts";
import { viewWeights } from "../core/nn/weights.ts";
import { scoreFunctionOf } from "../core/models.ts";
import { scoreNet2d } from "../core/nn/architectures.ts";
import { trainOnData } from "../core/recipes/train.ts";
import { createProgress } from "../core/harness/progress.ts";
import { stepSize } from "../core/samplers/annealed_langevin.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";

const A = [[-1.5, 0.3], [0.2, -0.7]];
const b = [0.1, -0.2];
/** A linear score field s(x) = x A^T + b. */
const linear = (x: tf.Tensor2D) =>
  tf.add(tf.matMul(x, tf.tensor2d(A), false, true), tf.tensor1d(b)) as tf.Tensor2D;

function linearSquaredMean(x: number[][]): number {
  return x.reduce((acc, r) => {
    const s0 = A[0][0] * r[0] + A[0][1] * r[1] + b[0], s1 = A[1][0] * r[0] + A[1][1] * r[1] + b[1];
    return acc + 0.5 * (s0 * s0 + s1 * s1);
  }, 0) / x.length;
}

Deno.test("exact score matching on a linear field: tr(A) + 1/2 mean|Ax + b|^2", async () => {
  await backend();
  const x = [[0.5, 1], [-1, 2], [0.3, -0.4]];
  const got = await noLeak(() =>
    tf.tidy(() => exactScoreMatchingLoss(linear, tf.tensor2d(x)).dataSync()[0])
  );
  near(got, A[0][0] + A[1][1] + linearSquaredMean(x), 1e-5, "exact SM");
});

Deno.test("sliced score matching: exact for given projections, and unbiased for exact SM over projections", async () => {
  await backend();
  const x = [[0.5, 1], [-1, 2]];
  const v = [[1, -1], [-1, -1]];
  const got = tf.tidy(() =>
    slicedScoreMatchingLoss(linear, tf.tensor2d(x), tf.tensor2d(v)).dataSync()[0]
  );
  const want = x.reduce((acc, r, i) => {
    const vi = v[i];
    const vAv = vi[0] * (A[0][0] * vi[0] + A[0][1] * vi[1]) +
      vi[1] * (A[1][0] * vi[0] + A[1][1] * vi[1]);
    const s = [A[0][0] * r[0] + A[0][1] * r[1] + b[0], A[1][0] * r[0] + A[1][1] * r[1] + b[1]];
    return acc + vAv + 0.5 * (vi[0] * s[0] + vi[1] * s[1]) ** 2;
  }, 0) / 2;
  near(got, want, 1e-5, "sliced SM");
  // Averaged over many projections, both laws give the exact-SM value.
  const n = 20000;
  const xs = Array.from({ length: n }, (_, i) => x[i % 2]);
  for (const law of ["rademacher", "gaussian"] as const) {
    const p = drawProjections(n, 2, law, new Streams(3).get(law));
    const avg = tf.tidy(() =>
      slicedScoreMatchingLoss(linear, tf.tensor2d(xs), tf.tensor2d(p, [n, 2])).dataSync()[0]
    );
    near(avg, A[0][0] + A[1][1] + linearSquaredMean(x), 0.05, `${law} projections`);
  }
});

Deno.test("DSM: differences of the loss are half differences of Fisher divergence to the noised score", async () => {
  await backend();
  // Data N(0, v I); the noised law is N(0, (v + sigma^2) I) with score -x / (v + sigma^2).
  const v = 0.5, sigma = 0.4, n = 200000;
  const s = new Streams(4);
  const x0 = tf.mul(Math.sqrt(v), tf.tensor2d(s.get("x").normals(2 * n), [n, 2])) as tf.Tensor2D;
  const z = tf.tensor2d(s.get("z").normals(2 * n), [n, 2]);
  const field = (c: number) => (x: tf.Tensor2D) => tf.mul(-c, x) as tf.Tensor2D;
  const loss = (c: number) => tf.tidy(() => dsmLoss(field(c), x0, sigma, z).dataSync()[0]);
  const cStar = 1 / (v + sigma * sigma);
  // 1/2 E|(c - c*) x|^2 over x ~ N(0, (v + sigma^2) I) = (c - c*)^2 (v + sigma^2).
  const halfFisher = (c: number) => (c - cStar) ** 2 * (v + sigma * sigma);
  near(loss(1.5) - loss(cStar), halfFisher(1.5), 0.02, "c = 1.5");
  near(loss(0.5) - loss(cStar), halfFisher(0.5), 0.02, "c = 0.5");
  assert.ok(
    loss(cStar) < loss(cStar * 1.1) && loss(cStar) < loss(cStar * 0.9),
    "minimum at the noised score",
  );
  tf.dispose([x0, z]);
});

Deno.test("NCSN loss weights each row by sigma^2 and targets -z / sigma", async () => {
  await backend();
  const x0 = tf.tensor2d([[0, 0], [1, 1]]);
  const z = tf.tensor2d([[1, 0], [0, 2]]);
  const sigma = tf.tensor2d([[0.5], [2]]);
  const zeroScore = (x: tf.Tensor2D) => tf.zerosLike(x);
  // pred 0: rows (sigma^2 |z/sigma|^2) = |z|^2 = 1 and 4, over 4 elements: 5/4.
  near(tf.tidy(() => ncsnLoss(zeroScore, x0, sigma, z).dataSync()[0]), 5 / 4, 1e-6, "zero score");
  // The exact conditional target gives zero loss.
  const perfect = (x: tf.Tensor2D, s: number | tf.Tensor2D) =>
    tf.div(tf.sub(x0, x), tf.square(s)) as tf.Tensor2D;
  near(tf.tidy(() => ncsnLoss(perfect, x0, sigma, z).dataSync()[0]), 0, 1e-6, "perfect denoiser");
  tf.dispose([x0, z, sigma]);
  const sig = drawSigmas(20000, { kind: "logUniform", min: 0.01, max: 1 }, new Streams(1).get("s"));
  const logs = Array.from(sig, Math.log);
  near(
    logs.reduce((a, c) => a + c, 0) / logs.length,
    (Math.log(0.01) + Math.log(1)) / 2,
    0.03,
    "log-uniform mean",
  );
  assert.ok(sig.every((s) => s >= 0.01 - 1e-9 && s <= 1 + 1e-9));
  const ladder = [1, 0.5, 0.25, 0.125, 0.0625];
  const n = 50000;
  const listed = drawSigmas(n, { kind: "list", sigmas: ladder }, new Streams(1).get("l"));
  assert.ok(listed.every((s) => ladder.includes(s)));
  // every level, the first and the last included, drawn uniformly: each count within 5 sd of n / L
  const sd = Math.sqrt(n * (1 / ladder.length) * (1 - 1 / ladder.length));
  for (const level of ladder) {
    const count = listed.filter((s) => s === level).length;
    assert.ok(Math.abs(count - n / ladder.length) < 5 * sd, `level ${level}: ${count} of ${n}`);
  }
});

Deno.test("Fisher divergence of a linear field against a Gaussian's score: (a - b)^2 E|x|^2", async () => {
  await backend();
  const pts = new Streams(2).get("p").normals(2 * 50000);
  const f = fisherDivergence(
    (x) => tf.mul(-2, x) as tf.Tensor2D,
    (x) => tf.neg(x) as tf.Tensor2D,
    pts,
    2,
  );
  near(f, 1 * 2, 0.05, "E|(-2 + 1) x|^2 = E|x|^2 = 2");
  assert.equal(gridPoints(-1, 1, 4).length, 2 * 16);
});

Deno.test("the line integral of the exact score between modes is the log-density difference", async () => {
  await backend();
  const m = { means: [[-2, 0], [2, 1]], std: 0.8, weights: [0.3, 0.7] };
  const oracle = new MixtureOracle(m);
  const got = lineIntegral((x) => oracle.score(x), [-2, 0], [2, 1], 2000);
  const ld = mixtureLogDensity(m, [-2, 0, 2, 1]);
  near(got, ld[1] - ld[0], 1e-3, "∫ score · dx = log p(b) - log p(a)");
  // Between points off the modes (the score is not ~0 at the ends, so end weights matter), at the
  // metric's own n = 400: measured 5.5e-7 (the float32 scores' floor ~2e-7 plus the rule's h^2
  // term); a rule that weighs the ends fully is off by 6.8e-3. The rule is second order: halving
  // h from n = 100 cuts the error ~4x (measured 3.7).
  const [a, b] = [[-1, 0.5], [1.5, -1]];
  const exact = mixtureLogDensity(m, [...a, ...b]);
  const error = (n?: number) =>
    lineIntegral((x) => oracle.score(x), a, b, n) - (exact[1] - exact[0]);
  assert.ok(Math.abs(error()) < 4e-6, `error ${error()} at n = 400`);
  const ratio = error(100) / error(200);
  assert.ok(ratio > 3 && ratio < 5, `error ratio ${ratio} from n = 100 to 200`);
  oracle.dispose();
});

Deno.test("annealed step rules: ratio alpha sigma^2 / sigma_L^2 and proportional c sigma^2", () => {
  near(stepSize({ kind: "ratio", alpha: 2e-5 }, 1, 0.01), 0.2, 1e-12);
  near(stepSize({ kind: "proportional", c: 0.5 }, 0.2, 0.01), 0.02, 1e-12);
});

Deno.test("a DSM-trained network's Fisher divergence falls as training proceeds", async () => {
  await backend();
  const streams = new Streams(5);
  const m = ring8Mixture();
  const data = sampleMixture(m, 2048, streams.get("data")).x;
  const oracle = new MixtureOracle(m);
  const sigma = 0.5;
  const pts = sampleMixture({ ...m, std: Math.hypot(m.std, sigma) }, 1000, streams.get("fisher")).x;
  const net = new Network(scoreNet2d([64, 64]), streams.get("init"));
  const noise = streams.get("train");
  const track: number[] = [];
  const measure = () => {
    const w = net.params.views();
    const f = fisherDivergence((x) => net.apply(w, x), (x) => oracle.score(x, 1, sigma), pts, 2);
    track.push(f);
    tf.dispose(w);
    return f;
  };

  measure();
  await trainOnData({
    net,
    x: data,
    dim: 2,
    batching: { kind: "epochs", batchSize: 128, epochs: 60 },
    optimizer: { lr: 3e-3 },
    streams,
    progress: createProgress("test", "silent"),
    loss: (w, x0) =>
      dsmLoss(
        (x) => net.apply(w, x),
        x0,
        sigma,
        tf.tensor2d(noise.normals(x0.shape[0] * 2), x0.shape),
      ),
    every: 320,
    track: () => ({ fisher: measure() }),
  });
  assert.ok(track.length >= 3);
  assert.ok(
    track[track.length - 1] < 0.3 * track[0],
    `Fisher ${track.map((f) => f.toFixed(3)).join(" -> ")}`,
  );
  assert.ok(track[track.length - 1] < track[1], "still falling after the first checkpoint");
  net.dispose();
  oracle.dispose();
});

Deno.test("forward mode: J v equals the Jacobian from backward passes; exact and sliced SM weight gradients match finite differences", async () => {
  await backend();
  for (
    const [name, spec] of [
      ["softplus", scoreNet2d([8, 8, 8])],
      ["silu", { ...scoreNet2d([8, 8]), activation: "silu" as const }],
      ["relu", { ...scoreNet2d([8, 8]), activation: "relu" as const }],
    ] as const
  ) {
    await noLeak(() =>
      tf.tidy(() => {
        const s = new Streams(5).get(name);
        const net = new Network(spec, s);
        const n = 7;
        const x = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const v = tf.tensor2d(s.normals(n * 2), [n, 2]);
        const w = net.params.views();
        const { value, tangents: [jv] } = net.jvp(w, x, [v]);
        // Rows of the Jacobian by backward passes: g_i[n, j] = d s_i / d x_j.
        const rows = [0, 1].map((i) =>
          tf.grad((xx: tf.Tensor) =>
            tf.sum(tf.slice(net.apply(w, xx as tf.Tensor2D), [0, i], [-1, 1]))
          )(x).arraySync() as number[][]
        );
        const vv = v.arraySync(), got = jv.arraySync(), out = net.apply(w, x).dataSync();
        value.dataSync().forEach((o, k) => near(o, out[k], 1e-6, `${name}: value`));
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < 2; i++) {
            const want = rows[i][r][0] * vv[r][0] + rows[i][r][1] * vv[r][1];
            near(got[r][i], want, 1e-5 * Math.max(1, Math.abs(want)), `${name}: (Jv)[${r},${i}]`);
          }
        }
        // The losses and their gradients with respect to the weights: forward mode against
        // central finite differences, and against the nested-backward path where tfjs's
        // second-order autodiff is right (not for silu: tfjs differentiates sigmoid through a
        // saved copy of its output, which a second derivative treats as a constant).
        const plain = (ww: typeof w) => (xx: tf.Tensor2D) => net.apply(ww, xx);
        const withJvp = (ww: typeof w) => scoreFunctionOf(net, ww);
        const base = net.params.read();
        for (
          const [loss, label] of [
            [
              (f: typeof plain) => (flat: tf.Tensor) =>
                exactScoreMatchingLoss(f(viewWeights(net.params.split(flat as tf.Tensor1D))), x),
              "exact",
            ],
            [
              (f: typeof plain) => (flat: tf.Tensor) =>
                slicedScoreMatchingLoss(
                  f(viewWeights(net.params.split(flat as tf.Tensor1D))),
                  x,
                  v,
                ),
              "sliced",
            ],
          ] as const
        ) {
          const b = tf.valueAndGrad(loss(withJvp))(net.params.flat);
          const gb = b.grad.dataSync();
          for (const k of [0, 3, 9, 17, 30, 50, 70, gb.length - 1]) {
            const at = (d: number) => {
              const p = base.slice();
              p[k] += d;
              return loss(withJvp)(tf.tensor1d(p)).dataSync()[0];
            };
            const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
            near(gb[k], fd, 2e-3 * Math.max(1, Math.abs(fd)), `${name} ${label}: d/dw[${k}] vs FD`);
          }
          if (name === "silu") continue;
          const a = tf.valueAndGrad(loss(plain))(net.params.flat);
          near(b.value.dataSync()[0], a.value.dataSync()[0], 1e-5, `${name} ${label}: loss`);
          a.grad.dataSync().forEach((g, k) =>
            near(gb[k], g, 2e-4 * Math.max(1, Math.abs(g)), `${name} ${label}: d loss / d w[${k}]`)
          );
        }
        net.dispose();
      })
    );
  }
});
