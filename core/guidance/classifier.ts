/**
 * Classifier guidance (Dhariwal & Nichol 2021; seed 002): a classifier p_phi(y | x_t, t) trained on
 * noised data steers an unconditional model,
 *
 *   s_w(x_t, t, y) = s(x_t, t) + w grad_x log p_phi(y | x_t, t),
 *
 * which in epsilon terms (s = -eps / sqrt(1 - alphaBar_t)) is
 *
 *   eps_w = eps - w sqrt(1 - alphaBar_t) grad_x log p_phi(y | x_t, t).
 *
 * The classifier is trained by cross-entropy on x_t ~ q(x_t | x_0) at uniformly drawn t.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpsModel, NoisyClassifier } from "../models.ts";
import type { DiscreteSchedule } from "../noise/schedules.ts";

/** Mean cross-entropy -log softmax(logits)_y of one-hot labels (no gather: its gradient is missing on wasm). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() =>
    tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar
  );
}

/** grad_x log p(y | x, t) for one-hot rows y (one per row of x, or one shared row). */
export function logProbGradient(
  classifier: NoisyClassifier,
  x: tf.Tensor2D,
  t: number,
  y: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() =>
    tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(y, tf.logSoftmax(classifier(xx as tf.Tensor2D, t)))))(
      x,
    ) as tf.Tensor2D
  );
}

/** The guided model eps - w sqrt(1 - alphaBar_t) grad_x log p(y | x_t, t), for a discrete chain. */
export function classifierGuidance(
  eps: EpsModel,
  classifier: NoisyClassifier,
  y: tf.Tensor2D,
  s: DiscreteSchedule,
  w: number,
): EpsModel {
  if (w === 0) return eps;
  return (x, t) =>
    tf.tidy(() => {
      if (typeof t !== "number") throw new Error("classifierGuidance: one time index per call");
      const g = logProbGradient(classifier, x, t, y);
      return tf.sub(eps(x, t), tf.mul(w * Math.sqrt(1 - s.alphaBar[t]), g)) as tf.Tensor2D;
    });
}
