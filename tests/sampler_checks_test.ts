/**
 * The sampler checks that experiments publish as exact or seed-gated metrics: observed ODE orders
 * on a closed-form flow map, and the PC corrector's realized signal-to-noise ratio.
 */
import assert from "node:assert/strict";
import { observedOrder, solverOrders } from "../core/metrics/solver_order.ts";
import { correctorSnrError } from "../core/metrics/corrector_snr.ts";
import { veSde, vpSde } from "../core/noise/sde.ts";
import { TABLEAUS } from "../core/solvers/solve.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, noLeak } from "./helpers.ts";
import { ddimReplayOff, pcReplayOff, reverseSdeReplayOff } from "../core/recipes/sde_checks.ts";
import { annealedReplayOff } from "../core/recipes/ncsn.ts";
import { subVpSde } from "../core/noise/sde.ts";
import { threeClustersMixture } from "../core/data/mixtures.ts";
import { geometricSigmas } from "../core/noise/schedules.ts";
import type { RunEnv } from "../core/runtime/env.ts";

Deno.test("observed orders approach 1, 2, 4; a Heun stage at the wrong time drops towards 1", async () => {
  await backend();
  const sde = vpSde(0.1, 20);
  const orders = await noLeak(() => Promise.resolve(solverOrders(sde, TABLEAUS, 1e-3)));
  assert.ok(Math.abs(orders.solverOrder_euler - 1) < 0.15, `euler ${orders.solverOrder_euler}`);
  assert.ok(Math.abs(orders.solverOrder_heun - 2) < 0.15, `heun ${orders.solverOrder_heun}`);
  assert.ok(Math.abs(orders.solverOrder_rk4 - 4) < 0.3, `rk4 ${orders.solverOrder_rk4}`);
  const p = {
    mu: [1.5, -0.5],
    std0: 0.5,
    start: [[1, 0.5], [-1.2, 2]],
    tEnd: 1e-3,
    steps: 40,
  };
  const late = observedOrder(sde, { ...TABLEAUS.heun, c: [0, 0] }, p);
  assert.ok(late < 1.5, `Heun with both stages at t: ${late}`);
  assert.ok(observedOrder(sde, TABLEAUS.heun, p) > 1.9);
});

Deno.test("the PC corrector reaches its target SNR on the VP and the VE SDE", async () => {
  await backend();
  for (const sde of [vpSde(0.1, 20), veSde(0.01, 50)]) {
    const err = correctorSnrError(sde, 0.16, 25, 1e-3, 4000, new Streams(0).get("c"));
    assert.ok(err < 0.1, `${sde.name}: ${err}`);
  }
});

Deno.test("loop replays: the reverse-SDE and PC samplers (VP, sub-VP, VE), DDIM (VP, sub-VP) and annealed Langevin (both step rules, all forms, with and without the denoising step) are their documented chains: 0 rows off", async () => {
  await backend();
  const env = { streams: new Streams(12) } as unknown as RunEnv;
  await noLeak(() => {
    for (const sde of [vpSde(), subVpSde(), veSde()]) {
      assert.equal(reverseSdeReplayOff(env, sde, 1e-3, 20), 0, sde.name);
      assert.equal(pcReplayOff(env, sde, 1e-3, 10), 0, `pc ${sde.name}`);
      if (sde.name !== "ve") assert.equal(ddimReplayOff(env, sde, 1e-3, 11), 0, `ddim ${sde.name}`);
    }
    const sigmas = geometricSigmas(2, 0.05, 4);
    for (const form of ["half", "full", "tempered"] as const) {
      for (
        const rule of [{ kind: "ratio", alpha: 2e-3 }, { kind: "proportional", c: 0.05 }] as const
      ) {
        for (const denoise of [false, true]) {
          const o = { stepsPerLevel: 7, rule, form, denoise, samples: 64, dim: 2 };
          assert.equal(
            annealedReplayOff(env, threeClustersMixture(), sigmas, o),
            0,
            `${form} ${rule.kind} denoise ${denoise}`,
          );
        }
      }
    }
  });
});
