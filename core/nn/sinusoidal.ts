/** Fixed sinusoidal features of a scalar (a time or noise level), the input of time-conditional nets. */
import * as tf from "@tensorflow/tfjs";

/** [sin(w_k s), cos(w_k s)] for s: [N, 1], w_k = maxFrequency^(k/(K-1)). */
export function sinusoidal(s: tf.Tensor2D, frequencies: number, maxFrequency: number): tf.Tensor2D {
  const row = Array.from(
    { length: frequencies },
    (_, k) => Math.pow(maxFrequency, frequencies > 1 ? k / (frequencies - 1) : 0),
  );
  return tf.tidy(() => {
    const arg = tf.matMul(s, tf.tensor2d([row]));
    return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as tf.Tensor2D;
  });
}
