/**
 * The closed-form reverse kernel against two independent routes: Tweedie's one-step formula through
 * the mixture's exact score, and the empirical joint law of (x_{t-1}, x_t) from the forward chain.
 * Then the sampler check itself: tiny for the real step, large for a broken one.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  marginal,
  MixtureOracle,
  mixtureScoreJs,
  ring8Mixture,
  sampleMixture,
} from "../core/data/mixtures.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import {
  reverseKernelErrors,
  reverseMean,
  reverseVariance,
} from "../core/metrics/reverse_kernel.ts";
import { epsFromMixture } from "../core/models.ts";
import { ddpmSample, ddpmStep } from "../core/samplers/ddpm.ts";
import { chainReplayOff } from "../core/metrics/chain_replay.ts";
import type { SampleNoise } from "../core/runtime/random.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";

Deno.test("reverse mean by Gaussian conditioning equals (x_t + beta_t score_t(x_t)) / sqrt(alpha_t)", () => {
  const m = ring8Mixture();
  const s = linearBetaSchedule(200);
  const stream = new Streams(3).get("x");
  for (const t of [0, 1, 7, 100, 199]) {
    const qt = marginal(m, Math.sqrt(s.alphaBar[t]), Math.sqrt(1 - s.alphaBar[t]));
    const x = sampleMixture(qt, 200, stream).x;
    const got = reverseMean(m, s, t, x);
    const score = mixtureScoreJs(qt, x);
    for (let i = 0; i < x.length; i++) {
      const want = (x[i] + s.beta[t] * score[i]) / Math.sqrt(s.alpha[t]);
      assert.ok(Math.abs(got[i] - want) < 1e-9 * (1 + Math.abs(want)), `t ${t} i ${i}`);
    }
  }
});

Deno.test("reverse variance: beta_t for N(0, I) data, betaTilde_t for a point mass, and the simulated chain agrees", () => {
  const s = linearBetaSchedule(200);
  for (const t of [1, 10, 199]) {
    assert.ok(Math.abs(reverseVariance(s, t, 1) / s.beta[t] - 1) < 1e-12);
    assert.ok(Math.abs(reverseVariance(s, t, 0) / s.posteriorVariance[t] - 1) < 1e-12);
  }
  // Simulated: x_0 = 0, x_{t-1} = sqrt(1 - alphaBar_{t-1}) e, x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) z;
  // the residual variance of x_{t-1} regressed on x_t is the reverse variance, whose value is not
  // read from the schedule's own posteriorVariance.
  const r = new Streams(5).get("chain");
  const t = 5, n = 200_000;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const prev = Math.sqrt(1 - s.alphaBar[t - 1]) * r.normal();
    const xt = Math.sqrt(s.alpha[t]) * prev + Math.sqrt(s.beta[t]) * r.normal();
    sxx += xt * xt, sxy += xt * prev, syy += prev * prev;
  }
  const residual = (syy - (sxy * sxy) / sxx) / n;
  const want = reverseVariance(s, t, 0);
  assert.ok(Math.abs(residual / want - 1) < 0.02, `simulated ${residual} vs ${want}`);
});

Deno.test("the sampler check: float32 rounding for the real step, far more for a wrong coefficient", async () => {
  await backend();
  const m = ring8Mixture();
  const s = linearBetaSchedule(50);
  const oracle = new MixtureOracle(m);
  const eps = epsFromMixture(oracle, s);
  const good = await noLeak(() =>
    Promise.resolve(reverseKernelErrors(
      (x, t, v, z) => ddpmStep(eps, s, x, t, v, z),
      s,
      m,
      64,
      new Streams(0).get("k"),
    ))
  );
  for (const [k, v] of Object.entries(good)) assert.ok(v < 1e-3, `${k} = ${v}`);
  // The step with eps one time index late, and with sigma_t^2 = 2 beta_t.
  const shifted = reverseKernelErrors(
    (x, t, v, z) => tf.tidy(() => ddpmStep((y) => eps(y, Math.min(t + 1, s.T - 1)), s, x, t, v, z)),
    s,
    m,
    64,
    new Streams(0).get("k"),
  );
  assert.ok(shifted.stepMeanError > 0.01, `time shift: ${shifted.stepMeanError}`);
  const noisy = reverseKernelErrors(
    (x, t, v, z) => ddpmStep(eps, s, x, t, v, z && tf.mul(Math.SQRT2, z) as tf.Tensor2D),
    s,
    m,
    64,
    new Streams(0).get("k"),
  );
  assert.ok(noisy.stepVarError_beta > 0.9 && noisy.stepVarError_posterior > 0.9);
  oracle.dispose();
});

Deno.test("chainReplayOff: 0 for the ancestral sampler under both variance rules; about 1 for loops that add noise at t = 0, skip a step or run t upwards", async () => {
  await backend();
  const m = ring8Mixture();
  const s = linearBetaSchedule(50);
  const oracle = new MixtureOracle(m);
  const streams = new Streams(11);
  try {
    await noLeak(() => {
      const eps = epsFromMixture(oracle, s);
      for (const variance of ["beta", "posterior"] as const) {
        const step = (x: tf.Tensor2D, t: number, z: tf.Tensor2D | null) =>
          ddpmStep(eps, s, x, t, variance, z);
        const noise = () => streams.perSample(`replay/${variance}`, 0, 64);
        const off = (sample: (n: SampleNoise) => Float32Array) =>
          chainReplayOff(sample, {
            start: (n) => n.normal(2),
            steps: s.T,
            draws: (k) => (k < s.T - 1 ? 1 : 0),
            step: (x, k, [z]) => step(x, s.T - 1 - k, z ?? null),
          }, noise);
        assert.equal(off((n) => ddpmSample(eps, s, n, { dim: 2, variance }).x), 0, variance);
        /** A loop as the sampler's, with `z` deciding each step's noise and `ts` its times. */
        const loop = (ts: number[], z: (t: number) => boolean) => (n: SampleNoise) => {
          let x = n.normal(2);
          for (const t of ts) {
            const zt = z(t) ? n.normal(2) : null;
            const next = step(x, t, zt);
            tf.dispose([x, zt ?? []]);
            x = next;
          }
          const out = x.dataSync() as Float32Array;
          x.dispose();
          return out;
        };
        const down = Array.from({ length: s.T }, (_, i) => s.T - 1 - i);
        assert.equal(off(loop(down, (t) => t >= 1)), 0, `${variance}: the replay's own loop`);
        const broken = {
          "noise at t = 0": loop(down, () => true),
          "t = 1 skipped": loop(down.filter((t) => t !== 1), (t) => t >= 1),
          "t upwards": loop([...down].reverse(), (t) => t >= 1),
        };
        for (const [what, sample] of Object.entries(broken)) {
          const f = off(sample);
          // posterior variance at t = 0 is 0, so extra noise there changes nothing under that rule
          if (what === "noise at t = 0" && variance === "posterior") assert.equal(f, 0, what);
          else assert.ok(f > 0.9, `${variance}, ${what}: ${f}`);
        }
      }
    });
  } finally {
    oracle.dispose();
  }
});
