/**
 * The chain's ELBO (core/elbo.ts) against closed forms: for a point mass the exact eps makes the
 * model's reverse means equal the posterior means, so the bound is the prior term, the variance
 * mismatch of each step and the decoder's normaliser, each in closed form; for ring8 with its exact
 * eps the bound lies above the closed-form -log p, and a worse model has a larger bound.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chainElbo } from "../core/elbo.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { mixtureLogDensity, MixtureOracle } from "../core/data/mixtures.ts";
import { epsFromMixture, type EpsModel } from "../core/models.ts";
import {
  cosineBetaSchedule,
  linearBetaSchedule,
  timeSubsequence,
} from "../core/noise/schedules.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

Deno.test("ELBO of a point mass with its exact eps: prior + variance terms + decoder, in closed form", async () => {
  await backend();
  const point = [1.5, -0.5], n = 64, d = 2;
  const x = new Float32Array(n * d).map((_, k) => point[k % d]);
  for (const s of [linearBetaSchedule(200), cosineBetaSchedule(100)]) {
    const eps: EpsModel = (xt, t) =>
      tf.tidy(() =>
        tf.div(
          tf.sub(xt, tf.mul(Math.sqrt(s.alphaBar[t as number]), tf.tensor2d([point]))),
          Math.sqrt(1 - s.alphaBar[t as number]),
        ) as tf.Tensor2D
      );
    const sq = point[0] ** 2 + point[1] ** 2, aT = s.alphaBar[s.T - 1];
    const prior = 0.5 * (aT * sq - d * aT - d * Math.log(1 - aT));
    const decoder = 0.5 * d * Math.log(2 * Math.PI * s.beta[0]);
    for (const variance of ["posterior", "beta"] as const) {
      let steps = 0;
      for (let t = 1; t < s.T; t++) {
        const vt = s.posteriorVariance[t], v = variance === "beta" ? s.beta[t] : vt;
        steps += 0.5 * d * (vt / v - 1 + Math.log(v / vt));
      }
      const e = await noLeak(() =>
        chainElbo(eps, s, x, d, new Streams(3).perSample("elbo", 0, n), variance)
      );
      near(e.prior, prior, 1e-12, `${variance}: prior`);
      near(e.decoder, decoder, 1e-6, `${variance}: decoder`);
      near(e.transitions, steps, 1e-6, `${variance}: transitions`);
      for (const v of e.perPoint) near(v, prior + decoder + steps, 1e-5, `${variance}: per point`);
    }
  }
});

Deno.test("ELBO of ring8 with its exact eps bounds -log p from above; a worse model pays more", async () => {
  await backend();
  const ring8 = DATASETS.ring8, n = 400;
  const x = ring8.sample(n, new Streams(5).get("test")).x;
  const s = linearBetaSchedule(200);
  const oracle = new MixtureOracle(ring8.mixture!);
  try {
    const exact = epsFromMixture(oracle, s);
    const bound = () => chainElbo(exact, s, x, 2, new Streams(5).perSample("elbo", 0, n), "beta");
    const e = bound();
    const nll = mixtureLogDensity(ring8.mixture!, x).map((v) => -v);
    const diff = e.perPoint.map((v, i) => v - nll[i]);
    const m = mean(diff);
    const se = Math.sqrt(mean(diff.map((v) => (v - m) ** 2)) / n);
    assert.ok(m > -3 * se, `bound below -log p: gap ${m} (se ${se})`);
    assert.ok(m < 0.5, `the exact chain's bound is loose by ${m} nats`);
    assert.deepEqual(bound().perPoint, e.perPoint, "same streams, same bound");
    // Measured: scaling eps by 0.9 or 1.1 raises the bound by 0.026 and 0.037 nats (same draws).
    for (const scale of [0.9, 1.1]) {
      const worse: EpsModel = (xt, t) => tf.tidy(() => tf.mul(scale, exact(xt, t)) as tf.Tensor2D);
      const w = chainElbo(worse, s, x, 2, new Streams(5).perSample("elbo", 0, n), "beta");
      assert.ok(mean(w.perPoint) > mean(e.perPoint) + 0.01, `eps x ${scale} is not penalised`);
    }
  } finally {
    oracle.dispose();
  }
});

Deno.test("cosine schedule: alphaBar_t = f(t+1)/f(0), seed 002's cos^2 at offset 0, betas clipped", () => {
  const T = 100, offset = 0.008;
  const f = (u: number) => Math.cos(((u / T + offset) / (1 + offset)) * Math.PI / 2) ** 2;
  const s = cosineBetaSchedule(T, offset, 0.999);
  for (let t = 0; t < T - 1; t++) near(s.alphaBar[t], f(t + 1) / f(0), 1e-12, `alphaBar_${t}`);
  assert.equal(s.beta[T - 1], 0.999);
  for (let t = 1; t < T; t++) assert.ok(s.alphaBar[t] < s.alphaBar[t - 1]);
  const plain = cosineBetaSchedule(T, 0, 0.999);
  for (let t = 0; t < T - 1; t++) {
    near(
      plain.alphaBar[t],
      Math.cos((Math.PI * (t + 1)) / (2 * T)) ** 2,
      1e-12,
      `offset 0, t=${t}`,
    );
  }
});

Deno.test("timeSubsequence: K indices from T-1 down to 0, strictly decreasing; K = T is the chain", () => {
  for (const [T, K] of [[200, 10], [200, 20], [200, 199], [7, 2], [1000, 13]]) {
    const tau = timeSubsequence(T, K);
    assert.equal(tau.length, K);
    assert.equal(tau[0], T - 1);
    assert.equal(tau[K - 1], 0);
    for (let i = 1; i < K; i++) assert.ok(tau[i] < tau[i - 1], `${T}/${K}: not decreasing at ${i}`);
  }
  assert.deepEqual(timeSubsequence(5, 5), [4, 3, 2, 1, 0]);
  assert.throws(() => timeSubsequence(10, 11), /steps must be an integer in \[1, 10\]/);
});
