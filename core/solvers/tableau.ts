/**
 * An explicit Runge-Kutta method as its Butcher tableau, and the one step routine every method
 * shares:
 *
 *   k_1 = F(t, y),  k_i = F(t + c_i h, y + h sum_{j<i} a_ij k_j),  y_next = y + h sum_i b_i k_i,
 *
 * with, for an embedded pair, the error estimate h sum_i e_i k_i (e = b - b^, over the stages and,
 * when the method is first-same-as-last, the next step's first stage F(t + h, y_next)). Zero
 * coefficients are skipped.
 */
import * as tf from "@tensorflow/tfjs";

/** The right-hand side F(t, y) of dy/dt = F(t, y), y a batch of rows [N, D]. */
export type OdeFn = (t: number, y: tf.Tensor2D) => tf.Tensor2D;

/** A Butcher tableau. */
export interface Tableau {
  name: string;
  /** Order of the solution y_next. */
  order: number;
  c: readonly number[];
  /** Row i: a_i1 .. a_i(i-1) (row 0 empty). */
  a: readonly (readonly number[])[];
  b: readonly number[];
  /** Embedded pairs: b - b^ over the stages and the FSAL stage (one more entry). */
  e?: readonly number[];
}

/** y + h sum_j w_j k_j over the non-zero weights (a tensor the caller owns). */
function combine(y: tf.Tensor2D, h: number, w: readonly number[], k: tf.Tensor2D[]): tf.Tensor2D {
  const terms = w.flatMap((wj, j) => (wj === 0 ? [] : [tf.mul(wj * h, k[j])]));
  return tf.add(y, terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Tensor2D;
}

/** What one step computes. */
export interface StepResult {
  y: tf.Tensor2D;
  /** F(t + h, y_next) for first-same-as-last pairs (the next step's k_1). */
  last?: tf.Tensor2D;
  /** The embedded error estimate (pairs only). */
  error?: tf.Tensor2D;
  /** Evaluations of F made (k_1 given is not counted). */
  nfe: number;
}

/**
 * One step from (t, y) with step h (negative to integrate backwards); `k1` = F(t, y) when the
 * caller has it (first-same-as-last), else computed. Nothing given is consumed.
 */
export function rkStep(
  f: OdeFn,
  tab: Tableau,
  t: number,
  y: tf.Tensor2D,
  h: number,
  k1?: tf.Tensor2D,
): StepResult {
  return tf.tidy(() => {
    let nfe = 0;
    const k: tf.Tensor2D[] = [];
    if (k1) k.push(k1);
    else {
      k.push(f(t, y));
      nfe++;
    }
    for (let i = 1; i < tab.c.length; i++) {
      k.push(f(t + tab.c[i] * h, combine(y, h, tab.a[i], k)));
      nfe++;
    }
    const yNext = combine(y, h, tab.b, k);
    if (!tab.e) return { y: yNext, nfe };
    const last = f(t + h, yNext);
    nfe++;
    const all = [...k, last];
    const terms = tab.e.flatMap((ej, j) => (ej === 0 ? [] : [tf.mul(ej * h, all[j])]));
    return { y: yNext, last, error: tf.addN(terms) as tf.Tensor2D, nfe };
  });
}
