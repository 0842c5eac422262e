/**
 * The Metropolis-adjusted Langevin algorithm (MALA) for a target with a known log-density:
 *
 *   y = x + (h/2) s(x) + sqrt(h) z,   q(y | x) = N(y; x + (h/2) s(x), h I),
 *   accept y with probability min(1, p(y) q(x | y) / (p(x) q(y | x))), else stay at x.
 *
 * The correction makes the target exactly invariant at any step size (ULA's bias disappears); the
 * acceptance rate says how large h may be.
 */
import { floats } from "../runtime/arrays.ts";
import * as tf from "@tensorflow/tfjs";
import type { SampleNoise } from "../runtime/random.ts";
import type { SamplerResult } from "./result.ts";

/** A target known in closed form: its score and log-density (up to a constant). */
export interface Target {
  score(x: tf.Tensor2D): tf.Tensor2D;
  logDensity(x: tf.Tensor2D): tf.Tensor1D;
}

/** Options of {@link mala}. */
export interface MalaOptions {
  steps: number;
  stepSize: number;
  /** Step counts after which the state is kept (trajectory key = steps taken). */
  keep?: number[];
}

/** log q(to | from) up to a constant: -|to - from - (h/2) s(from)|^2 / (2 h). */
function logProposal(
  to: tf.Tensor2D,
  from: tf.Tensor2D,
  sFrom: tf.Tensor2D,
  stepSize: number,
): tf.Tensor1D {
  return tf.div(
    tf.sum(tf.square(tf.sub(tf.sub(to, from), tf.mul(stepSize / 2, sFrom))), 1),
    -2 * stepSize,
  ) as tf.Tensor1D;
}

/** Run MALA from x0 (not consumed); also returns the acceptance rate over all steps and chains. */
export function mala(
  target: Target,
  x0: tf.Tensor2D,
  noise: SampleNoise,
  o: MalaOptions,
): SamplerResult & { acceptance: number } {
  const keep = new Set(o.keep ?? []);
  const trajectory = new Map<number, Float32Array>();
  const [n, dim] = x0.shape;
  let state = tf.tidy(() => ({
    x: tf.clone(x0),
    s: target.score(x0),
    logp: target.logDensity(x0),
  }));
  let accepted = tf.scalar(0);
  for (let k = 1; k <= o.steps; k++) {
    const next = tf.tidy(() => {
      const { x, s, logp } = state;
      const y = tf.add(
        tf.add(x, tf.mul(o.stepSize / 2, s)),
        tf.mul(Math.sqrt(o.stepSize), noise.normal(dim)),
      ) as tf.Tensor2D;
      const sy = target.score(y);
      const logpy = target.logDensity(y);
      const logAlpha = tf.add(
        tf.sub(logpy, logp),
        tf.sub(logProposal(x, y, sy, o.stepSize), logProposal(y, x, s, o.stepSize)),
      );
      const u = noise.uniform();
      const accept = tf.less(tf.tensor1d(floats(u.length, (i) => Math.log(u[i]))), logAlpha);
      const column = tf.reshape(accept, [-1, 1]);
      return {
        state: {
          x: tf.where(column, y, x) as tf.Tensor2D,
          s: tf.where(column, sy, s) as tf.Tensor2D,
          logp: tf.where(accept, logpy, logp) as tf.Tensor1D,
        },
        accepted: tf.add(accepted, tf.sum(tf.cast(accept, "float32"))) as tf.Scalar,
      };
    });
    tf.dispose([state.x, state.s, state.logp, accepted]);
    state = next.state;
    accepted = next.accepted;
    if (keep.has(k)) trajectory.set(k, state.x.dataSync() as Float32Array);
  }
  const out = state.x.dataSync() as Float32Array;
  const acceptance = accepted.dataSync()[0] / (n * o.steps);
  tf.dispose([state.x, state.s, state.logp, accepted]);
  return { x: out, trajectory, nfe: o.steps + 1, acceptance };
}
