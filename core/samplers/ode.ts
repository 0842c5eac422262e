/**
 * ODE solvers for dy/dt = F(t, y), y a batch of rows [N, D], integrating in either direction:
 * fixed-step Euler, Heun (explicit trapezoid) and classical RK4, and the adaptive Dormand-Prince
 * 5(4) pair (with FSAL) under relative and absolute tolerances, as scipy's RK45. Every solver counts
 * its evaluations of F (NFE).
 *
 * The adaptive error norm is the RMS over all elements of err / (atol + rtol max(|y|, |y_new|)), as
 * scipy computes it; steps are shared by the batch, so an adaptive solution depends (within the
 * tolerance) on which rows are solved together. Fixed-step solvers treat rows independently.
 */
import * as tf from "@tensorflow/tfjs";

/** The right-hand side F(t, y). */
export type OdeFn = (t: number, y: tf.Tensor2D) => tf.Tensor2D;

/** A fixed-step method. */
export type FixedMethod = "euler" | "heun" | "rk4";

/** Evaluations of F per step of each fixed method. */
export const EVALS_PER_STEP: Record<FixedMethod, number> = { euler: 1, heun: 2, rk4: 4 };

/** One step of a fixed method from (t, y) to t + h. */
function fixedStep(
  f: OdeFn,
  t: number,
  y: tf.Tensor2D,
  h: number,
  method: FixedMethod,
): tf.Tensor2D {
  return tf.tidy(() => {
    const k1 = f(t, y);
    if (method === "euler") return tf.add(y, tf.mul(h, k1)) as tf.Tensor2D;
    if (method === "heun") {
      const k2 = f(t + h, tf.add(y, tf.mul(h, k1)) as tf.Tensor2D);
      return tf.add(y, tf.mul(h / 2, tf.add(k1, k2))) as tf.Tensor2D;
    }
    const k2 = f(t + h / 2, tf.add(y, tf.mul(h / 2, k1)) as tf.Tensor2D);
    const k3 = f(t + h / 2, tf.add(y, tf.mul(h / 2, k2)) as tf.Tensor2D);
    const k4 = f(t + h, tf.add(y, tf.mul(h, k3)) as tf.Tensor2D);
    return tf.add(y, tf.mul(h / 6, tf.addN([k1, tf.mul(2, k2), tf.mul(2, k3), k4]))) as tf.Tensor2D;
  });
}

/** Integrate over the grid `times` (increasing or decreasing) with a fixed method; y0 is not consumed. */
export function odeFixed(
  f: OdeFn,
  y0: tf.Tensor2D,
  times: ArrayLike<number>,
  method: FixedMethod,
): { y: tf.Tensor2D; nfe: number } {
  let y = tf.clone(y0);
  for (let k = 0; k + 1 < times.length; k++) {
    const next = fixedStep(f, times[k], y, times[k + 1] - times[k], method);
    y.dispose();
    y = next;
  }
  return { y, nfe: (times.length - 1) * EVALS_PER_STEP[method] };
}

/** `steps + 1` equally spaced times from t0 to t1. */
export function uniformTimes(t0: number, t1: number, steps: number): Float64Array {
  return Float64Array.from({ length: steps + 1 }, (_, k) => t0 + ((t1 - t0) * k) / steps);
}

// Dormand-Prince 5(4) tableau.
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
/** Fifth-order weights (the last stage row of A) minus the embedded fourth-order weights. */
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

/** Options of {@link odeAdaptive}. */
export interface AdaptiveOptions {
  rtol: number;
  atol: number;
  /** Stop with an error after this many accepted + rejected steps. */
  maxSteps?: number;
}

/** What {@link odeAdaptive} returns. */
export interface AdaptiveResult {
  y: tf.Tensor2D;
  nfe: number;
  accepted: number;
  rejected: number;
}

function rmsNorm(err: tf.Tensor, y: tf.Tensor, yNew: tf.Tensor, o: AdaptiveOptions): number {
  return tf.tidy(() => {
    const scale = tf.add(o.atol, tf.mul(o.rtol, tf.maximum(tf.abs(y), tf.abs(yNew))));
    return Math.sqrt(tf.mean(tf.square(tf.div(err, scale))).dataSync()[0]);
  });
}

/** Dormand-Prince 5(4) from t0 to t1 (either direction); y0 is not consumed. */
export function odeAdaptive(
  f: OdeFn,
  y0: tf.Tensor2D,
  t0: number,
  t1: number,
  o: AdaptiveOptions,
): AdaptiveResult {
  const dir = Math.sign(t1 - t0) || 1;
  const maxSteps = o.maxSteps ?? 5_000;
  let y = tf.clone(y0);
  let k1 = f(t0, y);
  let nfe = 1;
  // Initial step (Hairer, Norsett & Wanner, II.4): from the sizes of y and F(t0, y0).
  let h = tf.tidy(() => {
    const scale = tf.add(o.atol, tf.mul(o.rtol, tf.abs(y)));
    const d0 = Math.sqrt(tf.mean(tf.square(tf.div(y, scale))).dataSync()[0]);
    const d1 = Math.sqrt(tf.mean(tf.square(tf.div(k1, scale))).dataSync()[0]);
    const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
    return Math.min(h0, Math.abs(t1 - t0));
  });
  let t = t0;
  let accepted = 0, rejected = 0;
  while (dir * (t1 - t) > 1e-12 * Math.max(1, Math.abs(t1))) {
    if (accepted + rejected >= maxSteps) {
      tf.dispose([y, k1]);
      throw new Error(
        `adaptive ODE solver: more than ${maxSteps} steps (rtol ${o.rtol}, atol ${o.atol})`,
      );
    }
    h = Math.min(h, Math.abs(t1 - t));
    const hs = dir * h;
    const ks: tf.Tensor2D[] = [k1];
    const yNew = tf.tidy(() => {
      for (let s = 1; s < 6; s++) {
        const inc = tf.addN(A[s].map((a, j) => tf.mul(a * hs, ks[j])));
        ks.push(tf.keep(f(t + C[s] * hs, tf.add(y, inc) as tf.Tensor2D)));
      }
      return tf.add(y, tf.addN(A[6].map((a, j) => tf.mul(a * hs, ks[j])))) as tf.Tensor2D;
    });
    const k7 = f(t + hs, yNew);
    nfe += 6;
    const err = tf.tidy(() => tf.addN([...ks, k7].map((k, j) => tf.mul(E[j] * hs, k))));
    const norm = rmsNorm(err, y, yNew, o);
    err.dispose();
    tf.dispose(ks.slice(1));
    if (norm <= 1) {
      t += hs;
      tf.dispose([y, k1]);
      y = yNew;
      k1 = k7;
      accepted++;
      h *= norm === 0 ? 10 : Math.min(10, 0.9 * Math.pow(norm, -1 / 5));
    } else {
      tf.dispose([yNew, k7]);
      rejected++;
      h *= Math.max(0.2, 0.9 * Math.pow(norm, -1 / 5));
    }
  }
  k1.dispose();
  return { y, nfe, accepted, rejected };
}
