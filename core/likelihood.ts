/**
 * Negative log-likelihood by the probability-flow ODE (Song et al. 2021, appendix D; FFJORD's
 * instantaneous change of variables):
 *
 *   log p_eps(x(tMin)) = log p_T(x(T)) + int_eps^T div f~(x(t), t) dt,
 *   f~(x, t) = f(x, t) - 1/2 g(t)^2 s(x, t),   div f~ = d f(t) - 1/2 g(t)^2 div_x s(x, t),
 *
 * integrated forward from the data point x(tMin) = x_0 with the joint state [x, Delta], dDelta/dt =
 * div f~ (score_sde#59: along the ODE, from the data point), by adaptive Dormand-Prince
 * (rtol = atol = 1e-5 by default), from t = tMin = 1e-5 (Soft-Truncation#2: a larger tMin needs an
 * entropy correction). NLL(x_0) = -log p_T(x(T)) - Delta(T), in nats (continuous data: no bits/dim
 * dequantisation offsets, score_sde#51).
 *
 * The divergence is exact (one backward pass per dimension) or Hutchinson's estimate
 * E_v[v^T grad_x (v^T f~)] with Rademacher probes drawn once per point and held for the whole solve
 * (score_sde_pytorch#10: a fresh probe per evaluation makes the ODE stochastic).
 */
import * as tf from "@tensorflow/tfjs";
import type { ScoreFn } from "./models.ts";
import { priorLogDensity, type Sde } from "./noise/sde.ts";
import type { Stream } from "./runtime/random.ts";
import { drawProjections } from "./objectives/sliced_score_matching.ts";
import type { OdeFn } from "./solvers/tableau.ts";
import { solve, solveOptions, type SolverChoice } from "./solvers/solve.ts";

/** How div_x s is computed. */
export type Divergence =
  | { kind: "exact" }
  | { kind: "hutchinson"; probes: number; stream: Stream };

/** Options of {@link nll}. */
export interface NllOptions {
  /** Start time (1e-5). */
  tMin?: number;
  solver?: SolverChoice;
  divergence?: Divergence;
  /**
   * log p_T per row of x(T) (flat, `dim` per row). Default: the SDE's prior N(0, priorStd^2 I), what
   * a model samples from. An oracle check can pass the exact marginal at T instead, removing the
   * prior's approximation from the comparison.
   */
  priorLogDensity?: (xT: Float64Array, dim: number) => Float64Array;
}

/** Per-point NLL in nats, and the solver's cost. */
export interface NllResult {
  nll: Float64Array;
  nfe: number;
}

/**
 * The directions of a divergence over n rows of dimension d: e_1..e_d each as [n, d] (exact), or
 * the given probes (Hutchinson), and all of them stacked (the stacked pass's dy). Made once per
 * solve; dispose with {@link disposeDirections}.
 */
export interface Directions {
  exact: boolean;
  each: tf.Tensor2D[];
  stacked: tf.Tensor2D;
}

/** {@link Directions} for n rows of dimension d: the probes (kept by the caller) or e_1..e_d. */
export function divergenceDirections(
  n: number,
  d: number,
  probes: tf.Tensor2D[] | null,
): Directions {
  return tf.tidy(() => {
    const each = probes ??
      Array.from(
        { length: d },
        (_, i) => tf.keep(tf.oneHot(tf.fill([n], i, "int32"), d).toFloat() as tf.Tensor2D),
      );
    return { exact: !probes, each, stacked: tf.keep(tf.concat(each, 0) as tf.Tensor2D) };
  });
}

/** Dispose what {@link divergenceDirections} made (not the probes). */
export function disposeDirections(dirs: Directions): void {
  tf.dispose(dirs.exact ? [...dirs.each, dirs.stacked] : dirs.stacked);
}

/**
 * s(x, t) and div_x s(x, t) per row: exact (the directions e_1..e_d) or averaged over the probes
 * v, each direction's vector-Jacobian product v^T grad_x s read off one forward and one backward
 * pass over x stacked once per direction. Rows do not mix in a score, so each block of the stack
 * gets the bits a pass over x alone gets.
 */
export function scoreAndDivergence(
  score: ScoreFn,
  x: tf.Tensor2D,
  t: number,
  dirs: Directions,
): { s: tf.Tensor2D; div: tf.Tensor1D } {
  return tf.tidy(() => {
    const [n, d] = x.shape;
    const stacked = tf.concat(dirs.each.map(() => x), 0);
    const { value, grad } = tf.valueAndGrad((z: tf.Tensor2D) => score(z, t))(stacked, dirs.stacked);
    const s = tf.slice(value, [0, 0], [n, d]) as tf.Tensor2D;
    const block = (i: number) => tf.slice(grad, [i * n, 0], [n, d]);
    if (dirs.exact) {
      let div: tf.Tensor = tf.zeros([n]);
      for (let i = 0; i < d; i++) {
        div = tf.add(div, tf.reshape(tf.slice(block(i), [0, i], [-1, 1]), [-1]));
      }
      return { s, div: div as tf.Tensor1D };
    }
    let acc: tf.Tensor = tf.zeros([n]);
    dirs.each.forEach((v, p) => acc = tf.add(acc, tf.sum(tf.mul(block(p), v), 1)));
    return { s, div: tf.div(acc, dirs.each.length) as tf.Tensor1D };
  });
}

/** The NLL of each row of x0 (flat, `dim` per row) under the model (sde, score). */
export function nll(
  sde: Sde,
  score: ScoreFn,
  x0: Float32Array,
  dim: number,
  o: NllOptions = {},
): NllResult {
  const tMin = o.tMin ?? 1e-5;
  const solver: SolverChoice = o.solver ?? { kind: "adaptive", rtol: 1e-5, atol: 1e-5 };
  const div = o.divergence ?? { kind: "exact" };
  const n = x0.length / dim;
  const probes = div.kind === "hutchinson"
    ? Array.from(
      { length: div.probes },
      () => tf.tensor2d(drawProjections(n, dim, "rademacher", div.stream), [n, dim]),
    )
    : null;
  const dirs = divergenceDirections(n, dim, probes);
  // State [x, Delta]: dx/dt = f~, dDelta/dt = div f~.
  const f: OdeFn = (t, y) =>
    tf.tidy(() => {
      const x = tf.slice(y, [0, 0], [-1, dim]) as tf.Tensor2D;
      const g2 = sde.diffusion(t) ** 2;
      const { s, div } = scoreAndDivergence(score, x, t, dirs);
      const dx = tf.sub(tf.mul(sde.driftCoef(t), x), tf.mul(0.5 * g2, s));
      const dDelta = tf.sub(dim * sde.driftCoef(t), tf.mul(0.5 * g2, div));
      return tf.concat([dx, tf.reshape(dDelta, [-1, 1])], 1) as tf.Tensor2D;
    });
  const y0 = tf.tidy(() =>
    tf.concat([tf.tensor2d(x0, [n, dim]), tf.zeros([n, 1])], 1) as tf.Tensor2D
  );
  try {
    const r = solve(f, y0, tMin, sde.T, solveOptions(solver));
    const y = r.y.dataSync();
    r.y.dispose();
    const xT = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) xT[i * dim + d] = y[i * (dim + 1) + d];
    }
    const logPrior = o.priorLogDensity ? o.priorLogDensity(xT, dim) : priorLogDensity(sde, xT, dim);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = -(logPrior[i] + y[i * (dim + 1) + dim]);
    return { nll: out, nfe: r.nfe };
  } finally {
    y0.dispose();
    disposeDirections(dirs);
    if (probes) tf.dispose(probes);
  }
}
