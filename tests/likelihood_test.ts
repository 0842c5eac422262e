import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DATASETS } from "../core/data/datasets.ts";
import { marginal, mixtureLogDensity, MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { subVpSde, veSde, vpSde, vpSdeOfChain } from "../core/noise/sde.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { nll } from "../core/likelihood.ts";
import { odeAdaptive, odeFixed, uniformTimes } from "../core/samplers/ode.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";

const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

Deno.test("PF-ODE NLL with the exact score matches the closed form to 1e-3 nats (ring8, three_clusters)", async () => {
  await backend();
  const sde = vpSde();
  for (const name of ["ring8", "three_clusters"] as const) {
    const m = DATASETS[name].mixture!;
    const x = DATASETS[name].sample(100, new Streams(1).get("points")).x;
    const oracle = new MixtureOracle(m);
    const exactPrior = (xT: Float64Array) =>
      mixtureLogDensity(marginal(m, sde.meanCoef(1), sde.std(1)), xT);
    const r = await noLeak(() =>
      nll(sde, scoreFromMixtureAtTime(oracle, sde), x, 2, { priorLogDensity: exactPrior })
    );
    const closed = mixtureLogDensity(m, x).map((v) => -v);
    const err = meanAbs(r.nll, closed);
    assert.ok(err <= 1e-3, `${name}: mean |NLL_ODE - closed form| = ${err}`);
    assert.ok(r.nfe > 20 && r.nfe < 1000, `NFE ${r.nfe}`);
    if (name === "ring8") {
      // With the usual N(0, I) prior: ring8's mean is 0, so the prior costs only second-order terms.
      const std = nll(sde, scoreFromMixtureAtTime(oracle, sde), x, 2);
      assert.ok(
        meanAbs(std.nll, closed) <= 1e-3,
        `ring8 with N(0, I): ${meanAbs(std.nll, closed)}`,
      );
    }
    oracle.dispose();
  }
});

Deno.test("the adaptive solver honours its tolerance: the NLL error falls as rtol = atol tighten", async () => {
  await backend();
  const sde = vpSde();
  const m = DATASETS.ring8.mixture!;
  const x = DATASETS.ring8.sample(50, new Streams(2).get("points")).x;
  const oracle = new MixtureOracle(m);
  const exactPrior = (xT: Float64Array) =>
    mixtureLogDensity(marginal(m, sde.meanCoef(1), sde.std(1)), xT);
  const closed = mixtureLogDensity(m, x).map((v) => -v);
  const runs = [1e-2, 1e-4, 1e-6].map((tol) =>
    nll(sde, scoreFromMixtureAtTime(oracle, sde), x, 2, {
      solver: { kind: "adaptive", rtol: tol, atol: tol },
      priorLogDensity: exactPrior,
    })
  );
  const errs = runs.map((r) => meanAbs(r.nll, closed));
  assert.ok(errs[0] > errs[1] && errs[1] > errs[2], `errors ${errs.join(", ")}`);
  assert.ok(
    runs[0].nfe < runs[1].nfe && runs[1].nfe < runs[2].nfe,
    `NFE ${runs.map((r) => r.nfe).join(", ")}`,
  );
  oracle.dispose();
});

Deno.test("ODE solvers on dy/dt = -y: orders of accuracy and the adaptive tolerance", async () => {
  await backend();
  const f = (_t: number, y: tf.Tensor2D) => tf.neg(y) as tf.Tensor2D;
  const y0 = tf.tensor2d([[1, 2]]);
  const exact = Math.exp(-1);
  const err = (method: "euler" | "heun" | "rk4", steps: number) => {
    const r = odeFixed(f, y0, uniformTimes(0, 1, steps), method);
    const v = r.y.dataSync()[0];
    r.y.dispose();
    return Math.abs(v - exact);
  };
  // Halving the step divides the error by 2^order.
  near(Math.log2(err("euler", 20) / err("euler", 40)), 1, 0.1, "Euler order");
  near(Math.log2(err("heun", 20) / err("heun", 40)), 2, 0.1, "Heun order");
  near(Math.log2(err("rk4", 5) / err("rk4", 10)), 4, 0.2, "RK4 order");
  const a = odeAdaptive(f, y0, 0, 1, { rtol: 1e-6, atol: 1e-6 });
  near(a.y.dataSync()[0], exact, 5e-6, "Dormand-Prince at 1e-6");
  const back = odeAdaptive(f, a.y, 1, 0, { rtol: 1e-6, atol: 1e-6 });
  near(back.y.dataSync()[1], 2, 2e-5, "integrating backwards returns to y0");
  tf.dispose([y0, a.y, back.y]);
});

Deno.test("SDE marginals: the transition moments match the SDE's, for VP, sub-VP and VE", () => {
  // d/dt mean = f(t) mean; d/dt var = 2 f(t) var + g(t)^2 (Sarkka & Solin), checked by finite differences.
  for (const sde of [vpSde(), subVpSde(), veSde(0.01, 5)]) {
    for (const t of [0.1, 0.5, 0.9]) {
      const h = 1e-5;
      const dm = (sde.meanCoef(t + h) - sde.meanCoef(t - h)) / (2 * h);
      near(
        dm,
        sde.driftCoef(t) * sde.meanCoef(t),
        1e-5 * Math.max(1, Math.abs(dm)),
        `${sde.name} mean ODE at t=${t}`,
      );
      const v = (s: number) => sde.std(s) ** 2;
      const dv = (v(t + h) - v(t - h)) / (2 * h);
      const want = 2 * sde.driftCoef(t) * v(t) + sde.diffusion(t) ** 2;
      near(dv, want, 1e-4 * Math.max(1, Math.abs(want)), `${sde.name} variance ODE at t=${t}`);
    }
    assert.ok(sde.std(1e-12) < 1e-4, `${sde.name}: no noise at t = 0`);
  }
});

Deno.test("the discrete DDPM chain is the VP SDE's discretisation: alphaBar converges as N grows", () => {
  const errs = [100, 1000, 10000].map((N) => {
    const chain = linearBetaSchedule(N, 0.1 / N, 20 / N);
    const sde = vpSdeOfChain(0.1 / N, 20 / N, N);
    let worst = 0;
    for (let i = 0; i < N; i++) {
      worst = Math.max(worst, Math.abs(chain.alphaBar[i] - sde.meanCoef((i + 1) / N) ** 2));
    }
    return worst;
  });
  assert.ok(
    errs[1] < errs[0] / 5 && errs[2] < errs[1] / 5,
    `max |alphaBar_i - e^{-B(t_i)}|: ${errs.join(", ")}`,
  );
  assert.ok(errs[2] < 1e-3);
});
