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
