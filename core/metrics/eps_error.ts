/**
 * How far a learned epsilon predictor is from the exact one of the chain, at one time index, on
 * draws of q_t (the law the network is trained and sampled on):
 *
 *   rmsError_t = sqrt( sum_i |eps_theta(x_i, t) - eps*(x_i, t)|^2 / (n d) ),
 *   x_i = sqrt(alphaBar_t) x0_i + sqrt(1 - alphaBar_t) z_i,
 *
 * with eps* = -sqrt(1 - alphaBar_t) grad log q_t from the data's closed form (`epsFromMixture`), in
 * units of the noise's standard deviation (the scale of the regression target at every t; eps* itself
 * is near 0 at small t, so a relative error there would divide by ~0). Sums in float64.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel } from "../models.ts";
import { type DiscreteSchedule, marginalCoefficients, qSample } from "../noise/schedules.ts";
import type { Stream } from "../runtime/random.ts";
import { tidyValues } from "../runtime/tidy_values.ts";

/** The RMS error of `model` against `exact` at time index t, per coordinate (module doc). */
export function epsRmsError(
  model: EpsModel,
  exact: EpsModel,
  schedule: DiscreteSchedule,
  x0: Float32Array,
  dim: number,
  t: number,
  stream: Stream,
): number {
  const n = x0.length / dim;
  const [learned, truth] = tidyValues(() => {
    const c = marginalCoefficients(schedule, [t]);
    const z = tf.tensor2d(stream.normals(n * dim), [n, dim]);
    const xt = qSample(tf.tensor2d(x0, [n, dim]), c.mean, c.std, z);
    return [model(xt, t), exact(xt, t)];
  });
  let err = 0;
  for (let i = 0; i < truth.length; i++) err += (learned[i] - truth[i]) ** 2;
  return Math.sqrt(err / truth.length);
}
