import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ddpmLoss, ddpmScoreLoss } from "../core/objectives/ddpm.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import {
  epsFromMixture,
  epsFromNetwork,
  epsFromScoreNetwork,
  logSigmaInput,
  scoreFromEpsAtStd,
} from "../core/models.ts";
import { Network } from "../core/nn/network.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { langevinLevels } from "../core/recipes/conditional.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { epsRmsError } from "../core/metrics/eps_error.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";

const schedule = linearBetaSchedule(200, 1e-4, 0.02);

Deno.test("score-form DDPM loss: the eps loss of eps = -sigma_t s, row-weighted by 1 / sigma_t^2", async () => {
  await backend();
  const x0 = [[1, -0.5], [0.2, 0.3], [-2, 1], [0.7, 0.7]];
  const noise = [[0.3, -1.1], [0.5, 0.2], [-0.4, 1.6], [1.2, -0.3]];
  const t = Int32Array.from([0, 3, 77, 199]);
  // A per-row "network" output: any function of x_t and t does.
  const score = (x: tf.Tensor2D, ti: Int32Array) =>
    tf.mul(
      x,
      tf.tensor2d(Float32Array.from(ti, (v) => -0.5 - v / 400), [ti.length, 1]),
    ) as tf.Tensor2D;
  const got = await noLeak(() =>
    tf.tidy(() =>
      ddpmScoreLoss(score, schedule, tf.tensor2d(x0), t, tf.tensor2d(noise)).dataSync()[0]
    )
  );
  // By hand in float64: x_t, s, target -z / sigma.
  let want = 0;
  t.forEach((ti, i) => {
    const a = Math.sqrt(schedule.alphaBar[ti]), sd = Math.sqrt(1 - schedule.alphaBar[ti]);
    for (let j = 0; j < 2; j++) {
      const xt = a * x0[i][j] + sd * noise[i][j];
      want += (xt * (-0.5 - ti / 400) + noise[i][j] / sd) ** 2;
    }
  });
  want /= 8;
  near(got / want, 1, 1e-4, "score-form loss");
  // The same regression through the eps form: weighted eps loss of eps = -sigma s, row by row.
  const viaEps = tf.tidy(() =>
    t.reduce((acc, ti, i) => {
      const sd = Math.sqrt(1 - schedule.alphaBar[ti]);
      const eps = (x: tf.Tensor2D) => tf.mul(score(x, Int32Array.of(ti)), -sd) as tf.Tensor2D;
      const l = ddpmLoss(
        eps,
        schedule,
        tf.tensor2d([x0[i]]),
        Int32Array.of(ti),
        tf.tensor2d([noise[i]]),
      ).dataSync()[0];
      return acc + l / (sd * sd) / 4;
    }, 0)
  );
  near(viaEps / want, 1, 1e-3, "through the eps form");
});

Deno.test("eps RMS error: the zero predictor's error is sigma_t / sqrt(alphaBar s^2 + sigma_t^2) for one Gaussian", async () => {
  await backend();
  const s = 0.5, mu = [1, -2];
  const oracle = new MixtureOracle({ means: [mu], std: s, weights: [1] });
  const exact = epsFromMixture(oracle, schedule);
  const zero = (x: tf.Tensor2D) => tf.zerosLike(x) as tf.Tensor2D;
  const streams = new Streams(3);
  const n = 40000;
  const d = streams.get("data").normals(2 * n);
  const x0 = Float32Array.from(d, (z, i) => mu[i % 2] + s * z);
  await noLeak(() => {
    for (const t of [0, 20, 120]) {
      const ab = schedule.alphaBar[t];
      const want = Math.sqrt((1 - ab) / (ab * s * s + 1 - ab));
      const got = epsRmsError(zero, exact, schedule, x0, 2, t, streams.get(`check${t}`));
      near(got / want, 1, 0.02, `zero predictor at t=${t}`);
      assert.equal(epsRmsError(exact, exact, schedule, x0, 2, t, streams.get("again")), 0);
    }
  });
  oracle.dispose();
});

Deno.test("the chain's score by its noise std: -eps*(x, t) / sigma_t is the noised mixture's score, and an unknown level is refused", async () => {
  await backend();
  const mixture = { means: [[1, 0], [-1, 0.5]], std: 0.3, weights: [0.4, 0.6] };
  const oracle = new MixtureOracle(mixture);
  const score = scoreFromEpsAtStd(epsFromMixture(oracle, schedule), schedule);
  const x = [[0.2, 0.1], [-1.5, 2], [3, -1]];
  await noLeak(() => {
    for (const t of [0, 57, 199]) {
      const sd = Math.sqrt(1 - schedule.alphaBar[t]);
      const [got, want] = tf.tidy(() => [
        score(tf.tensor2d(x), sd).dataSync(),
        oracle.score(tf.tensor2d(x), Math.sqrt(schedule.alphaBar[t]), sd).dataSync(),
      ]);
      got.forEach((g, i) => near(g, want[i], 1e-4 * (1 + Math.abs(want[i])), `t=${t}`));
    }
    assert.throws(() => tf.tidy(() => score(tf.tensor2d(x), 0.5)), /not a sigma_t of the chain/);
  });
  assert.deepEqual(langevinLevels(200, 5), [199, 149, 100, 50, 0]);
  oracle.dispose();
});

Deno.test("the exact eps with one time per row is the exact eps at each row's time", async () => {
  await backend();
  const oracle = new MixtureOracle({ means: [[1, 0], [-1, 0.5]], std: 0.3, weights: [0.4, 0.6] });
  const eps = epsFromMixture(oracle, schedule);
  const x = [[0.2, 0.1], [-1.5, 2], [3, -1], [0, 0]];
  const ts = Int32Array.from([0, 57, 199, 120]);
  await noLeak(() => {
    const rows = tf.tidy(() => eps(tf.tensor2d(x), ts).dataSync());
    ts.forEach((t, i) => {
      const one = tf.tidy(() => eps(tf.tensor2d([x[i]]), t).dataSync());
      for (const d of [0, 1]) near(rows[2 * i + d], one[d], 1e-6, `row ${i} at t = ${t}`);
    });
  });
  oracle.dispose();
});

Deno.test("network inputs and readings as the seeds define them: the level input log(sigma + 1e-5), the score form read as eps = -sqrt(1 - alphaBar_t) s", async () => {
  await backend();
  // Seed 000's SimpleScoreNet: log(sigma + 1e-5), float32.
  const sigma = [0, 1e-3, 0.01, 0.5, 1, 50];
  const level = tf.tidy(() => logSigmaInput(tf.tensor2d(sigma, [6, 1])).dataSync());
  // float32: sigma + 1e-5 rounds by 6e-8 relative (so the log moves by 6e-8), the log by an ulp.
  sigma.forEach((v, i) =>
    near(level[i], Math.log(v + 1e-5), 2e-7 + 2e-7 * Math.abs(Math.log(v + 1e-5)), `sigma ${v}`)
  );
  // Seed 004 (16.4): a network s_theta ~ grad log q_t, read as eps_theta = -sqrt(1 - alphaBar_t) s.
  const T = 20;
  const s = linearBetaSchedule(T, 1e-4, 0.02);
  const net = new Network(
    ddpmNoisePredictor({ T, timeEmbedDim: 8, hidden: [16] }, 2),
    new Streams(5).get("init"),
  );
  const w = net.params.fused();
  const x = tf.tensor2d([0.3, -1.2, 2, 0.5, -0.7, 0.1], [3, 2]);
  for (const t of [0, 7, T - 1]) {
    const [eps, raw] = tf.tidy(() =>
      [epsFromScoreNetwork(net, w, s)(x, t), epsFromNetwork(net, w, T)(x, t)].map((a) =>
        a.dataSync()
      )
    );
    const std = Math.sqrt(1 - s.alphaBar[t]);
    raw.forEach((v, k) => near(eps[k], -std * v, 1e-6 * (1 + Math.abs(v)), `t = ${t}`));
  }
  tf.dispose([x, w]);
  net.dispose();
});
