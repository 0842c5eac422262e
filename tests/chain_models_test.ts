import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ddpmLoss, ddpmScoreLoss } from "../core/objectives/ddpm.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { epsFromMixture, scoreFromEpsAtStd } from "../core/models.ts";
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
