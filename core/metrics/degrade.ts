/**
 * Controlled degradations of a sample set, to measure what the golden check can see (its power):
 * each is a known, named defect of a known size, applied to a run's own samples.
 *
 *   blur s          x + s z, z ~ N(0, I) (a fixed stream: the same noise for every run)
 *   moveMass f      of the samples nearest mode 0, the first ceil(f n_0) are translated onto the
 *                   mode nearest to mode 0 (mu_to - mu_0): mode 0's weight falls by the fraction f
 *   dropMode        every sample of mode 0 translated onto the other modes in turn
 *   scale c         mean + c (x - mean), the law shrunk about its mean
 *   mmd2x2          blur with the s at which MMD^2 doubles (found by bisection on log s)
 */
import { nearestMode } from "../data/mixtures.ts";
import { Streams } from "../runtime/random.ts";

/** A run's modes, as the probe gives them. */
export interface Modes {
  means: readonly (readonly number[])[];
  weights: readonly number[];
}

/** A named degradation of a sample set (rows of `dim`). */
export interface Degradation {
  name: string;
  /** What it does, for tables. */
  label: string;
  /** Needs the law's modes. */
  needsModes?: boolean;
  /** Needs an MMD^2 of the samples (the doubling). */
  needsMmd?: boolean;
  /** The degraded samples, or null when the degradation does not apply to these samples. */
  apply(x: Float32Array, dim: number, o: DegradeContext): Float32Array | null;
}

/** What a degradation may use besides the samples. */
export interface DegradeContext {
  modes?: Modes;
  /** MMD^2 of a sample set to the law's reference sample. */
  mmd2?: (x: Float32Array) => number;
}

/** A fixed noise stream: degradations are the same for every run and seed. */
function noise(n: number): Float32Array {
  return new Streams(20260101).get("degrade/blur").normals(n);
}

/** x + s z. */
export function blur(x: Float32Array, s: number): Float32Array {
  const z = noise(x.length);
  return Float32Array.from(x, (v, i) => v + s * z[i]);
}

/** The mode nearest to mode `k` (Euclidean between means). */
function nearestOtherMode(means: Modes["means"], k: number): number {
  let best = -1, bestD = Infinity;
  means.forEach((m, j) => {
    if (j === k) return;
    const d = m.reduce((a, v, i) => a + (v - means[k][i]) ** 2, 0);
    if (d < bestD) [best, bestD] = [j, d];
  });
  return best;
}

/** Move the fraction `f` of mode `from`'s samples onto other modes (`to(i)` picks each target). */
function moveFrom(
  x: Float32Array,
  dim: number,
  means: Modes["means"],
  from: number,
  f: number,
  to: (i: number) => number,
): Float32Array {
  const out = Float32Array.from(x);
  const { mode } = nearestMode(means, x);
  const rows = [...mode.keys()].filter((i) => mode[i] === from);
  const moved = rows.slice(0, Math.ceil(f * rows.length));
  moved.forEach((row, i) => {
    const t = to(i);
    for (let d = 0; d < dim; d++) out[row * dim + d] += means[t][d] - means[from][d];
  });
  return out;
}

/** Mode 0's weight lowered by the fraction f, the mass moved onto its nearest mode. */
export function moveMass(x: Float32Array, dim: number, modes: Modes, f: number): Float32Array {
  const to = nearestOtherMode(modes.means, 0);
  return moveFrom(x, dim, modes.means, 0, f, () => to);
}

/** Mode 0 emptied, its samples spread over the other modes in turn. */
export function dropMode(x: Float32Array, dim: number, modes: Modes): Float32Array {
  const K = modes.means.length;
  return moveFrom(x, dim, modes.means, 0, 1, (i) => 1 + (i % (K - 1)));
}

/** mean + c (x - mean), with the law's mean (the samples' mean when the modes are unknown). */
export function scaleLaw(x: Float32Array, dim: number, c: number, modes?: Modes): Float32Array {
  const n = x.length / dim;
  const center = Array.from({ length: dim }, (_, d) => {
    if (modes) return modes.means.reduce((a, m, k) => a + modes.weights[k] * m[d], 0);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * dim + d];
    return s / n;
  });
  return Float32Array.from(x, (v, i) => center[i % dim] + c * (v - center[i % dim]));
}

/**
 * The blur at which MMD^2 doubles: bisection on log s between 1e-4 and 10 (to 2% in s). Null when
 * MMD^2 is not positive (at the noise floor "twice" means nothing).
 */
export function doublingBlur(x: Float32Array, mmd2: (x: Float32Array) => number): number | null {
  const base = mmd2(x);
  if (!(base > 0)) return null;
  let lo = Math.log(1e-4), hi = Math.log(10);
  for (let i = 0; i < 40 && hi - lo > 0.02; i++) {
    const mid = (lo + hi) / 2;
    if (mmd2(blur(x, Math.exp(mid))) < 2 * base) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** The degradations of the sensitivity analysis, in table order. */
export const DEGRADATIONS: Degradation[] = [
  { name: "blur0.05", label: "Gaussian blur, s = 0.05", apply: (x) => blur(x, 0.05) },
  { name: "blur0.1", label: "Gaussian blur, s = 0.1", apply: (x) => blur(x, 0.1) },
  {
    name: "mmd2x2",
    label: "blur that doubles MMD²",
    needsMmd: true,
    apply: (x, _dim, o) => {
      const s = doublingBlur(x, o.mmd2!);
      return s === null ? null : blur(x, s);
    },
  },
  {
    name: "moveMass0.2",
    label: "one mode's weight moved by 20%",
    needsModes: true,
    apply: (x, dim, o) => o.modes!.means.length < 2 ? null : moveMass(x, dim, o.modes!, 0.2),
  },
  {
    name: "moveMass0.5",
    label: "one mode's weight moved by 50%",
    needsModes: true,
    apply: (x, dim, o) => o.modes!.means.length < 2 ? null : moveMass(x, dim, o.modes!, 0.5),
  },
  {
    name: "dropMode",
    label: "one mode dropped",
    needsModes: true,
    apply: (x, dim, o) => o.modes!.means.length < 2 ? null : dropMode(x, dim, o.modes!),
  },
  {
    name: "scale0.95",
    label: "law scaled by 0.95",
    apply: (x, dim, o) => scaleLaw(x, dim, 0.95, o.modes),
  },
];
