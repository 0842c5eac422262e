/**
 * Data sets on curves, with no closed-form density: their metrics compare against a reference
 * sample drawn from the same generator with a fixed seed.
 */
import type { Stream } from "../runtime/random.ts";

/** ring (seed 000): angle uniform on [0, 2 pi), radius 2 + 0.2 z. */
export function sampleRing(n: number, stream: Stream): Float32Array {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const th = 2 * Math.PI * stream.uniform();
    const r = 2 + 0.2 * stream.normal();
    x[2 * i] = r * Math.cos(th);
    x[2 * i + 1] = r * Math.sin(th);
  }
  return x;
}

/**
 * swiss_roll: scikit-learn's 2-D roll, t = 1.5 pi (1 + 2u), point (t cos t, t sin t) + 0.5 z, scaled
 * by 1/4 so that it fits the [-4, 4] window of the other data sets (noise std 0.125 after scaling).
 */
export function sampleSwissRoll(n: number, stream: Stream): Float32Array {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * stream.uniform());
    x[2 * i] = (t * Math.cos(t) + 0.5 * stream.normal()) / 4;
    x[2 * i + 1] = (t * Math.sin(t) + 0.5 * stream.normal()) / 4;
  }
  return x;
}

/**
 * moons: scikit-learn's two half circles (outer (cos a, sin a), inner (1 - cos a, 0.5 - sin a),
 * a uniform on [0, pi], each moon with probability 1/2) + 0.05 z, centred at the origin and scaled
 * by 2. Labels are the moon index.
 */
export function sampleMoons(n: number, stream: Stream): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.PI * stream.uniform();
    const inner = stream.uniform() < 0.5 ? 1 : 0;
    const px = inner ? 1 - Math.cos(a) : Math.cos(a);
    const py = inner ? 0.5 - Math.sin(a) : Math.sin(a);
    labels[i] = inner;
    x[2 * i] = 2 * (px - 0.5 + 0.05 * stream.normal());
    x[2 * i + 1] = 2 * (py - 0.25 + 0.05 * stream.normal());
  }
  return { x, labels };
}
