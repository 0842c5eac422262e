import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DATASETS } from "../core/data/datasets.ts";
import { marginal, mixtureLogDensity, MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromDdpmNetworkAtTime, scoreFromMixtureAtTime } from "../core/models.ts";
import { Network } from "../core/nn/network.ts";
import { ddpmNoisePredictor } from "../core/nn/architectures.ts";
import { drawProjections } from "../core/objectives/sliced_score_matching.ts";
import { subVpSde, veSde, vpSde, vpSdeOfChain } from "../core/noise/sde.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import {
  disposeDirections,
  divergenceDirections,
  nll,
  scoreAndDivergence,
} from "../core/likelihood.ts";
import { solve, TABLEAUS } from "../core/solvers/solve.ts";
import type { Tableau } from "../core/solvers/tableau.ts";
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

Deno.test("ODE solvers on dy/dt = -y and dy/dt = t^3: orders of accuracy, tableaus, the adaptive tolerance", async () => {
  await backend();
  const f = (_t: number, y: tf.Tensor2D) => tf.neg(y) as tf.Tensor2D;
  const y0 = tf.tensor2d([[1, 2]]);
  const exact = Math.exp(-1);
  const err = (method: Tableau, steps: number) => {
    const r = solve(f, y0, 0, 1, { method, control: { kind: "constant", steps } });
    const v = r.y.dataSync()[0];
    r.y.dispose();
    assert.equal(r.nfe, steps * method.c.length, `${method.name}: NFE`);
    return Math.abs(v - exact);
  };
  // Halving the step divides the error by 2^order; every tableau is consistent (its weights sum
  // to 1, its rows to c) and its weights meet the order conditions of its order that any tableau
  // can be checked on alone: sum_i b_i c_i^(k-1) = 1/k for k <= order and, from order 3,
  // sum_ij b_i a_ij c_j = 1/6. An embedded pair's second solution b^ = b - e (the first-same-as-
  // last stage at c = 1 with b = 0) meets them to one order less, and e sums to 0.
  const conditions = (
    name: string,
    w: readonly number[],
    a: readonly (readonly number[])[],
    c: readonly number[],
    order: number,
  ) => {
    for (let k = 1; k <= order; k++) {
      const got = w.reduce((t, wi, i) => t + wi * c[i] ** (k - 1), 0);
      near(got, 1 / k, 1e-12, `${name}: sum b c^${k - 1}`);
    }
    if (order < 3) return;
    const got = w.reduce((t, wi, i) => t + wi * a[i].reduce((u, aij, j) => u + aij * c[j], 0), 0);
    near(got, 1 / 6, 1e-12, `${name}: sum b a c`);
  };
  for (const [name, m] of Object.entries(TABLEAUS)) {
    near(m.b.reduce((a, b) => a + b, 0), 1, 1e-12, `${name}: weights`);
    m.a.forEach((row, i) =>
      near(row.reduce((a, b) => a + b, 0), m.c[i], 1e-12, `${name}: row ${i}`)
    );
    conditions(name, m.b, m.a, m.c, m.order);
    if (m.e) {
      // the pair's stages and the first-same-as-last one: F(t + h, y + h sum_j b_j k_j)
      near(m.e.reduce((a, b) => a + b, 0), 0, 1e-15, `${name}: error weights sum`);
      const bHat = [...m.b, 0].map((bi, i) => bi - m.e![i]);
      conditions(`${name} (embedded)`, bHat, [...m.a, m.b], [...m.c, 1], m.order - 1);
    }
  }
  near(Math.log2(err(TABLEAUS.euler, 20) / err(TABLEAUS.euler, 40)), 1, 0.1, "Euler order");
  near(Math.log2(err(TABLEAUS.heun, 20) / err(TABLEAUS.heun, 40)), 2, 0.1, "Heun order");
  near(Math.log2(err(TABLEAUS.rk4, 5) / err(TABLEAUS.rk4, 10)), 4, 0.2, "RK4 order");
  // A time-dependent right-hand side checks that each stage is evaluated at its own time:
  // dy/dt = t^3 from 0 to 1 gives 1/4: RK4 is Simpson (exact on cubics), Heun the trapezoid rule
  // (error h^2/12 (f'(1) - f'(0)) = h^2 / 4), Euler the left Riemann sum.
  const g = (t: number, y: tf.Tensor2D) => tf.fill(y.shape, t ** 3) as tf.Tensor2D;
  const at = (m: Tableau, steps: number) =>
    tf.tidy(() =>
      solve(g, tf.zeros([1, 1]), 0, 1, { method: m, control: { kind: "constant", steps } }).y
        .dataSync()[0]
    );
  near(at(TABLEAUS.rk4, 4), 0.25, 1e-6, "RK4 integrates t^3 exactly");
  near(at(TABLEAUS.heun, 10), 0.2525, 1e-6, "Heun's trapezoid error on t^3");
  near(at(TABLEAUS.euler, 10), 0.2025, 1e-6, "Euler's left sum on t^3");
  const adaptive = { kind: "adaptive", rtol: 1e-6, atol: 1e-6 } as const;
  const a = solve(f, y0, 0, 1, { control: adaptive });
  near(a.y.dataSync()[0], exact, 5e-6, "Dormand-Prince at 1e-6");
  const back = solve(f, a.y, 1, 0, { control: adaptive });
  near(back.y.dataSync()[1], 2, 2e-5, "integrating backwards returns to y0");
  assert.throws(
    () => solve(f, y0, 0, 1, { method: TABLEAUS.rk4, control: adaptive }),
    /embedded pair/,
  );
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

Deno.test("the NLL's divergence: one pass over the stacked rows gives each direction the bits of its own pass", async () => {
  await backend();
  const sde = vpSdeOfChain(1e-4, 0.02, 50);
  const streams = new Streams(3);
  const x = tf.tensor2d(DATASETS.ring8.sample(37, streams.get("points")).x, [37, 2]);
  const net = new Network(
    ddpmNoisePredictor({ T: 50, timeEmbedDim: 16, hidden: [48, 40] }, 2, "learned"),
    streams.get("init"),
  );
  const oracle = new MixtureOracle(DATASETS.ring8.mixture!);
  const probes = [0, 1, 2].map(() =>
    tf.tensor2d(drawProjections(37, 2, "rademacher", streams.get("probes")), [37, 2])
  );
  const scores = {
    network: scoreFromDdpmNetworkAtTime(net, net.params.fused(), 50, sde),
    oracle: scoreFromMixtureAtTime(oracle, sde),
  };
  for (const [name, score] of Object.entries(scores)) {
    for (const t of [0.013, 0.5, 0.97]) {
      // Each direction on its own: the forward pass, then one vector-Jacobian product per direction.
      const alone = tf.tidy(() => {
        const vjp = (v: tf.Tensor2D) =>
          tf.grad((z: tf.Tensor) => tf.sum(tf.mul(score(z as tf.Tensor2D, t), v)))(x);
        const e = [0, 1].map((i) =>
          tf.oneHot(tf.fill([37], i, "int32"), 2).toFloat() as tf.Tensor2D
        );
        let exact: tf.Tensor = tf.zeros([37]);
        e.forEach((v, i) =>
          exact = tf.add(exact, tf.reshape(tf.slice(vjp(v), [0, i], [-1, 1]), [-1]))
        );
        let acc: tf.Tensor = tf.zeros([37]);
        for (const v of probes) acc = tf.add(acc, tf.sum(tf.mul(vjp(v), v), 1));
        return [score(x, t), exact, tf.div(acc, probes.length)].map((a) => a.dataSync());
      });
      const exact = await noLeak(() => {
        const dirs = divergenceDirections(37, 2, null);
        const r = scoreAndDivergence(score, x, t, dirs);
        const out = [r.s.dataSync(), r.div.dataSync()];
        tf.dispose([r.s, r.div]);
        disposeDirections(dirs);
        return out;
      });
      const dirs = divergenceDirections(37, 2, probes);
      const sliced = scoreAndDivergence(score, x, t, dirs);
      disposeDirections(dirs);
      const what = `${name} at t = ${t}`;
      assert.deepEqual(exact[0], alone[0], `${what}: s`);
      assert.deepEqual(exact[1], alone[1], `${what}: exact divergence`);
      assert.deepEqual(sliced.div.dataSync(), alone[2], `${what}: Hutchinson's estimate`);
      tf.dispose([sliced.s, sliced.div]);
    }
  }
  tf.dispose([x, ...probes]);
  net.dispose();
  oracle.dispose();
});

Deno.test("the chain's network as a score of continuous time: t_i = (i + 1) / T reads index i, between indices the embeddings mix linearly, s = -eps / std(t)", async () => {
  await backend();
  const T = 50;
  const sde = vpSdeOfChain(1e-4, 0.02, T);
  const streams = new Streams(4);
  const x = tf.tensor2d(DATASETS.ring8.sample(9, streams.get("points")).x, [9, 2]);
  const net = new Network(
    ddpmNoisePredictor({ T, timeEmbedDim: 16, hidden: [32, 24] }, 2, "learned"),
    streams.get("init"),
  );
  const w = net.params.fused();
  const score = scoreFromDdpmNetworkAtTime(net, w, T, sde);
  // The network at an explicit mix of embedding rows, as the score it implies at time t.
  const mixed = (weights: Record<number, number>, t: number) =>
    tf.tidy(() => {
      const row = new Float32Array(T);
      for (const [i, v] of Object.entries(weights)) row[Number(i)] = v;
      const eps = net.apply(w, x, { t: tf.tensor2d(row, [1, T]) });
      return tf.div(eps, -sde.std(t)).dataSync();
    });
  const got = (t: number) => tf.tidy(() => score(x, t).dataSync());
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    for (let k = 0; k < a.length; k++) {
      assert.ok(
        Math.abs(a[k] - b[k]) <= 1e-5 * (1 + Math.abs(b[k])),
        `${what}: ${a[k]} vs ${b[k]}`,
      );
    }
  };
  for (const i of [0, 1, 17, T - 1]) {
    const t = (i + 1) / T;
    close(got(t), mixed({ [i]: 1 }, t), `t = ${t}: index ${i}`);
    // A neighbour's row gives another score (the embeddings are N(0, 1) draws): the check can fail.
    const other = i === 0 ? 1 : i - 1;
    const [here, there] = [Array.from(got(t)), Array.from(mixed({ [other]: 1 }, t))];
    const d = Math.max(...here.map((v, k) => Math.abs(v - there[k])));
    assert.ok(d > 1e-3, `index ${other} is not index ${i} (max difference ${d})`);
  }
  for (const i of [3, 30]) {
    const t = (i + 1.25) / T;
    close(got(t), mixed({ [i]: 0.75, [i + 1]: 0.25 }, t), `t = ${t}: a quarter of the way`);
  }
  tf.dispose([x, w]);
});
