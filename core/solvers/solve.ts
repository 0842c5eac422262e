/**
 * Solving dy/dt = F(t, y) from t0 to t1 (either direction) for a batch of rows [N, D]: one entry
 * point, a method given by its tableau, and step control that is constant (a number of equal steps)
 * or adaptive (an embedded pair under relative and absolute tolerances, as scipy's RK45: the error
 * norm is the RMS over all elements of err / (atol + rtol max(|y|, |y_next|)), the initial step
 * from Hairer, Norsett & Wanner II.4). Every solve counts its evaluations of F (NFE).
 *
 * Adaptive steps are shared by the batch, so an adaptive solution depends (within the tolerance) on
 * which rows are solved together; constant steps treat rows independently.
 */
import * as tf from "@tensorflow/tfjs";
import { type OdeFn, rkStep, type Tableau } from "./tableau.ts";
import { DOPRI5 } from "./dopri5.ts";
import { EULER } from "./euler.ts";
import { HEUN } from "./heun.ts";
import { RK4 } from "./rk4.ts";

/** The methods by name. */
export const TABLEAUS = { euler: EULER, heun: HEUN, rk4: RK4, dopri5: DOPRI5 } as const;

/** A solver as configs name it: a constant-step method and its steps, or adaptive tolerances. */
export type SolverChoice =
  | { kind: "fixed"; method: "euler" | "heun" | "rk4"; steps: number }
  | { kind: "adaptive"; rtol: number; atol: number };

/** The {@link SolveOptions} of a {@link SolverChoice} (adaptive: Dormand-Prince 5(4)). */
export function solveOptions(choice: SolverChoice): SolveOptions {
  return choice.kind === "fixed"
    ? { method: TABLEAUS[choice.method], control: { kind: "constant", steps: choice.steps } }
    : { method: DOPRI5, control: { kind: "adaptive", rtol: choice.rtol, atol: choice.atol } };
}

/** How steps are chosen. */
export type StepControl =
  | { kind: "constant"; steps: number }
  | { kind: "adaptive"; rtol: number; atol: number; maxSteps?: number };

/** Options of {@link solve}. */
export interface SolveOptions {
  /** The method (default Dormand-Prince 5(4); an adaptive control needs an embedded pair). */
  method?: Tableau;
  control: StepControl;
}

/** The solution at t1 and the solver's cost. */
export interface Solution {
  y: tf.Tensor2D;
  nfe: number;
  accepted: number;
  rejected: number;
}

/** `steps + 1` equally spaced times from t0 to t1. */
export function uniformTimes(t0: number, t1: number, steps: number): Float64Array {
  return Float64Array.from({ length: steps + 1 }, (_, k) => t0 + ((t1 - t0) * k) / steps);
}

/** Solve from (t0, y0) to t1; y0 is not consumed. */
export function solve(
  f: OdeFn,
  y0: tf.Tensor2D,
  t0: number,
  t1: number,
  o: SolveOptions,
): Solution {
  const method = o.method ?? DOPRI5;
  return o.control.kind === "constant"
    ? constantSteps(f, y0, uniformTimes(t0, t1, o.control.steps), method)
    : adaptiveSteps(f, y0, t0, t1, method, o.control);
}

/** Equal steps over the grid `times`. */
function constantSteps(f: OdeFn, y0: tf.Tensor2D, times: Float64Array, method: Tableau): Solution {
  let y = tf.clone(y0);
  let nfe = 0;
  for (let k = 0; k + 1 < times.length; k++) {
    const r = rkStep(f, method, times[k], y, times[k + 1] - times[k]);
    tf.dispose([y, r.last, r.error]);
    y = r.y;
    nfe += r.nfe;
  }
  return { y, nfe, accepted: times.length - 1, rejected: 0 };
}

function rmsNorm(err: tf.Tensor, y: tf.Tensor, yNew: tf.Tensor, rtol: number, atol: number) {
  return tf.tidy(() => {
    const scale = tf.add(atol, tf.mul(rtol, tf.maximum(tf.abs(y), tf.abs(yNew))));
    return Math.sqrt(tf.mean(tf.square(tf.div(err, scale))).dataSync()[0]);
  });
}

/** Steps chosen by the embedded pair's error estimate. */
function adaptiveSteps(
  f: OdeFn,
  y0: tf.Tensor2D,
  t0: number,
  t1: number,
  method: Tableau,
  o: { rtol: number; atol: number; maxSteps?: number },
): Solution {
  if (!method.e) throw new Error(`adaptive steps need an embedded pair; ${method.name} has none`);
  const dir = Math.sign(t1 - t0) || 1;
  const maxSteps = o.maxSteps ?? 5_000;
  const exponent = -1 / method.order;
  let y = tf.clone(y0);
  let k1 = f(t0, y);
  let nfe = 1;
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
    const r = rkStep(f, method, t, y, hs, k1);
    nfe += r.nfe;
    const norm = rmsNorm(r.error!, y, r.y, o.rtol, o.atol);
    r.error!.dispose();
    if (norm <= 1) {
      t += hs;
      tf.dispose([y, k1]);
      y = r.y;
      k1 = r.last!;
      accepted++;
      h *= norm === 0 ? 10 : Math.min(10, 0.9 * Math.pow(norm, exponent));
    } else {
      tf.dispose([r.y, r.last]);
      rejected++;
      h *= Math.max(0.2, 0.9 * Math.pow(norm, exponent));
    }
  }
  k1.dispose();
  return { y, nfe, accepted, rejected };
}
