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

/** How many values a {@link SinusoidalRows} keeps (a discrete chain's T is far below it). */
export const SINUSOIDAL_ROWS_KEPT = 1 << 14;

/**
 * The rows of {@link sinusoidal}, kept per input value: a discrete chain feeds the same T values
 * step after step, and four tfjs ops a step (~90 us on the wasm backend) then become a copy. Each
 * row is a function of its value alone (the k = 1 product is one rounding, sin and cos are
 * elementwise), so a kept row has the bits a fresh batch would give (tested). Once more than
 * `kept` values have been seen (a continuous time), it forgets them and computes every batch.
 */
export class SinusoidalRows {
  /** Rows by the bits of their value (+0 and -0 differ in sin's sign); null once saturated. */
  #rows: Map<number, Float32Array> | null = new Map();
  constructor(
    readonly frequencies: number,
    readonly maxFrequency: number,
    readonly kept = SINUSOIDAL_ROWS_KEPT,
  ) {}

  /** The features of s: [N, 1], as {@link sinusoidal} computes them. */
  of(s: tf.Tensor2D): tf.Tensor2D {
    const rows = this.#rows;
    if (!rows) return sinusoidal(s, this.frequencies, this.maxFrequency);
    const values = new Float32Array(s.dataSync());
    const bits = new Uint32Array(values.buffer);
    // Each value's kept row, looked up once; rows not kept yet are made below, each value once (a
    // chain's T values are all kept after a few steps).
    const found: (Float32Array | undefined)[] = new Array(bits.length);
    const missing: number[] = [];
    let seen: Set<number> | null = null;
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      if ((found[i] = rows.get(b))) continue;
      seen ??= new Set();
      if (!seen.has(b)) {
        seen.add(b);
        missing.push(i);
      }
    }
    if (rows.size + missing.length > this.kept) {
      this.#rows = null;
      return sinusoidal(s, this.frequencies, this.maxFrequency);
    }
    const width = 2 * this.frequencies;
    if (missing.length) {
      const features = tf.tidy(() =>
        sinusoidal(
          tf.tensor2d(missing.map((i) => values[i]), [missing.length, 1]),
          this.frequencies,
          this.maxFrequency,
        )
      );
      const computed = features.dataSync() as Float32Array;
      features.dispose();
      missing.forEach((i, j) => rows.set(bits[i], computed.slice(j * width, (j + 1) * width)));
      for (let i = 0; i < bits.length; i++) found[i] ??= rows.get(bits[i]);
    }
    // Rows of 2K floats copied by a loop (TypedArray.set costs more than the copy at this size).
    const out = new Float32Array(values.length * width);
    for (let i = 0, o = 0; i < bits.length; i++) {
      const row = found[i]!;
      for (let k = 0; k < width; k++) out[o++] = row[k];
    }
    return tf.tensor2d(out, [values.length, width]);
  }
}
