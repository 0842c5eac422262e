/** Shared test helpers. */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../core/runtime/backend.ts";
import type { Golden } from "../core/harness/golden.ts";

/** Start the wasm backend (once per test process). */
export function backend() {
  return initBackend();
}

/** Mean and (population) covariance of rows of a flat 2-column array. */
export function moments2(
  x: ArrayLike<number>,
): { mean: [number, number]; cov: [number, number, number] } {
  const n = x.length / 2;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[2 * i];
    my += x[2 * i + 1];
  }
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[2 * i] - mx, b = x[2 * i + 1] - my;
    sxx += a * a;
    sxy += a * b;
    syy += b * b;
  }
  return { mean: [mx, my], cov: [sxx / n, sxy / n, syy / n] };
}

/** Assert |a - b| <= tol with a readable message. */
export function near(a: number, b: number, tol: number, what = "value"): void {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${what}: ${a} is not within ${tol} of ${b}`);
}

/** Run `fn` and require that it leaves the tfjs tensor count unchanged. */
export async function noLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${before} tensors before, ${after} after`);
  return out;
}

/**
 * A synthetic quick golden of experiment "x" (default seed 0, config hash "h") with these gates and
 * runs, for the gate's and update-golden's unit tests (not sealed: `contentSha256` is empty).
 */
export function syntheticGolden(gates: Golden["gates"], runs: Golden["runs"]): Golden {
  return {
    format: 4,
    experiment: "x",
    profile: "quick",
    seed: 0,
    configHash: "h",
    gates,
    runs,
    renewal: { reason: null, quality: "test" },
    contentSha256: "",
  };
}
