import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  geometricSigmas,
  linearBetaSchedule,
  marginalCoefficients,
  qSample,
  qSampleRows,
} from "../core/noise/schedules.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, moments2, near } from "./helpers.ts";

Deno.test("linear schedule: betas, alphaBar = cumprod(1 - beta), posterior variance", () => {
  const s = linearBetaSchedule(200, 1e-4, 0.02);
  near(s.beta[0], 1e-4, 1e-15, "beta_0");
  near(s.beta[199], 0.02, 1e-15, "beta_T-1");
  near(s.beta[100] - s.beta[99], (0.02 - 1e-4) / 199, 1e-15, "constant increment");
  let prod = 1;
  for (let t = 0; t < 200; t++) {
    prod *= 1 - s.beta[t];
    near(s.alphaBar[t], prod, 1e-15, `alphaBar_${t}`);
    near(s.alpha[t], 1 - s.beta[t], 0, `alpha_${t}`);
  }
  // betaTilde_0 = 0 (alphaBar_{-1} = 1), and betaTilde_t = beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t) < beta_t.
  assert.equal(s.posteriorVariance[0], 0);
  for (let t = 1; t < 200; t++) {
    near(
      s.posteriorVariance[t],
      (s.beta[t] * (1 - s.alphaBar[t - 1])) / (1 - s.alphaBar[t]),
      1e-15,
    );
    assert.ok(s.posteriorVariance[t] < s.beta[t]);
  }
  // The seed's sigma at t = 10, 80, 199 (section 16.4 prints 0.024, 0.532, 0.932 for t = 2, 80, 199).
  near(Math.sqrt(1 - s.alphaBar[2]), 0.0245, 1e-4, "sigma at t=2");
  near(Math.sqrt(1 - s.alphaBar[80]), 0.532, 1e-3, "sigma at t=80");
  near(Math.sqrt(1 - s.alphaBar[199]), 0.932, 1e-3, "sigma at t=199");
});

Deno.test("geometric sigmas match np.geomspace(1, 0.01, 50)", () => {
  const s = geometricSigmas(1, 0.01, 50);
  near(s[0], 1, 1e-15);
  near(s[49], 0.01, 1e-15);
  for (let i = 1; i < 50; i++) near(s[i] / s[i - 1], Math.pow(0.01, 1 / 49), 1e-12, "ratio");
});

Deno.test("forward marginal: q(x_t | x_0) has mean sqrt(alphaBar) x_0 and variance 1 - alphaBar", async () => {
  await backend();
  const s = linearBetaSchedule(200);
  const n = 40000;
  const stream = new Streams(7).get("test");
  for (const t of [0, 50, 199]) {
    const x0 = new Float32Array(2 * n).fill(1.5);
    const xt = tf.tidy(() => {
      const c = marginalCoefficients(s, new Int32Array(n).fill(t));
      const eps = tf.tensor2d(stream.normals(2 * n), [n, 2]);
      return qSample(tf.tensor2d(x0, [n, 2]), c.mean, c.std, eps).dataSync();
    });
    const m = moments2(xt);
    const a = Math.sqrt(s.alphaBar[t]);
    const v = 1 - s.alphaBar[t];
    const se = Math.sqrt(v / n);
    near(m.mean[0], 1.5 * a, 5 * se + 1e-6, `mean at t=${t}`);
    near(m.cov[0], v, 5 * v * Math.sqrt(2 / n) + 1e-9, `variance at t=${t}`);
    near(m.cov[1], 0, 5 * v / Math.sqrt(n) + 1e-9, `covariance at t=${t}`);
  }
});

Deno.test("qSampleRows and qSample give the tensor formula's bits, mean x0 + std eps with [N, 1] columns (dims 1-3, every t)", async () => {
  await backend();
  const stream = new Streams(12).get("q");
  for (const s of [linearBetaSchedule(200), linearBetaSchedule(7, 1e-3, 0.5)]) {
    for (const dim of [1, 2, 3]) {
      const n = 2 * s.T + 5;
      const t = Int32Array.from({ length: n }, (_, i) => i < s.T ? i : stream.int(s.T));
      const x0 = stream.normals(n * dim).map((v) => 3 * v);
      const eps = stream.normals(n * dim);
      const col = (f: (a: number) => number) =>
        tf.tensor2d(Float32Array.from(t, (v) => f(s.alphaBar[v])), [n, 1]);
      const bits = (a: Float32Array) => new Uint32Array(a.slice().buffer);
      const want = tf.tidy(() =>
        tf.add(
          tf.mul(col(Math.sqrt), tf.tensor2d(x0, [n, dim])),
          tf.mul(col((a) => Math.sqrt(1 - a)), tf.tensor2d(eps, [n, dim])),
        ).dataSync() as Float32Array
      );
      assert.deepEqual(bits(qSampleRows(s, x0, t, eps)), bits(want));
      const c = marginalCoefficients(s, t);
      const viaTensors = qSample(
        tf.tensor2d(x0, [n, dim]),
        c.mean,
        c.std,
        tf.tensor2d(eps, [n, dim]),
      );
      assert.deepEqual(bits(viaTensors.dataSync() as Float32Array), bits(want));
      tf.dispose([c.mean, c.std, viaTensors]);
      // One time for every row ([1, 1] columns, broadcast), as samplers call it.
      const one = marginalCoefficients(s, [t[3]]);
      const shared = tf.tidy(() => {
        const [a, b] = [tf.tensor2d(x0, [n, dim]), tf.tensor2d(eps, [n, dim])];
        return [
          qSample(a, one.mean, one.std, b).dataSync() as Float32Array,
          tf.add(tf.mul(one.mean, a), tf.mul(one.std, b)).dataSync() as Float32Array,
        ];
      });
      assert.deepEqual(bits(shared[0]), bits(shared[1]));
      tf.dispose([one.mean, one.std]);
    }
  }
});
