/**
 * The predictor-corrector's Langevin step against its definition (Song et al. 2021, Algorithm 5):
 * the step size e is chosen so that the step's signal-to-noise ratio |e s| / |sqrt(2 e) z| is the
 * target r (times sqrt(a), the VP correction). For the marginal of a point mass, p_t = N(m(t) mu,
 * std(t)^2 I), the exact score has E|s|^2 = d / std(t)^2, the law the "expected" norms assume; so
 * the realized ratio in the root-mean-square sense, sqrt(e / 2) sqrt(sum |s|^2 / sum |z|^2), must
 * be r sqrt(a) up to Monte Carlo error O(1 / sqrt(n)).
 */
import * as tf from "@tensorflow/tfjs";
import type { Sde } from "../noise/sde.ts";
import { correctorScale, correctorStepSize } from "../samplers/pc.ts";
import { uniformTimes } from "../solvers/solve.ts";
import type { Stream } from "../runtime/random.ts";

/**
 * max over the grid T .. tEnd (`steps` steps) of |realized SNR / (r sqrt(a)) - 1| for `points`
 * draws of the point mass's marginal (in 2-D) and of the corrector's noise, from `stream`.
 */
export function correctorSnrError(
  sde: Sde,
  snr: number,
  steps: number,
  tEnd: number,
  points: number,
  stream: Stream,
): number {
  const times = uniformTimes(sde.T, tEnd, steps);
  let worst = 0;
  for (let k = 0; k < steps; k++) {
    const t = times[k], s = times[k + 1], std = sde.std(t);
    const a = correctorScale(sde, t, s);
    const ratio = tf.tidy(() => {
      const x = tf.mul(std, tf.tensor2d(stream.normals(2 * points), [points, 2]));
      const score = tf.div(x, -std * std) as tf.Tensor2D;
      const z = tf.tensor2d(stream.normals(2 * points), [points, 2]);
      const e = correctorStepSize(sde, t, s, snr, "expected", score, z);
      const realized = tf.mul(
        tf.sqrt(tf.div(e, 2)),
        tf.sqrt(tf.div(tf.sum(tf.square(score)), tf.sum(tf.square(z)))),
      );
      return realized.dataSync()[0] / (snr * Math.sqrt(a));
    });
    worst = Math.max(worst, Math.abs(ratio - 1));
  }
  return worst;
}
