/**
 * Interpolation in the probability-flow ODE's latent space (Song et al. 2021, section 4.3): the
 * PF-ODE maps a data point x to a latent z = x(T) and back, deterministically, so two points can
 * be interpolated through their latents: spherically (slerp, which keeps the prior's typical
 * norm), linearly in latent space, or linearly in data space (the baseline). Each path's interior
 * points are judged against the true law: do they stay on the data?
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { type GaussianMixture, mixtureLogDensity } from "../data/mixtures.ts";
import { modeCoverage } from "../metrics/modes.ts";
import { finiteRows } from "../metrics/points.ts";
import { mean } from "../metrics/statistics.ts";
import type { ScoreFn } from "../models.ts";
import type { Sde } from "../noise/sde.ts";
import type { Streams } from "../runtime/random.ts";
import { pfOdeDrift } from "../samplers/pf_ode.ts";
import { solve } from "../solvers/solve.ts";
import { DOPRI5 } from "../solvers/dopri5.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";

/** The section: pairs of data points, points per path (ends included), the solver's tolerance. */
export interface InterpolationConfig {
  pairs: number;
  points: number;
  rtol: number;
  tMin: number;
}

/** The rules of {@link InterpolationConfig}. */
export const INTERPOLATION: Section<InterpolationConfig> = {
  schema: {
    pairs: rules.int(1, 10_000),
    points: rules.int(3, 100),
    rtol: rules.tolerance(),
    tMin: rules.number(1e-5, 0.1),
  },
};

/** The ways of interpolating. */
export const METHODS = ["slerp", "latentLinear", "dataLinear"] as const;

/** Paths (pairs x points rows of 2, pair-major), the ends, and the round trip's error. */
export interface Interpolation {
  paths: Record<(typeof METHODS)[number], Float32Array>;
  ends: Float32Array;
  /** The ends' latents x(T). */
  latents: Float32Array;
  /** Mean |decode(encode(x)) - x| over the ends. */
  roundTripError: number;
}

/** x(t1) of the PF-ODE from x(t0) = x (flat, 2 per row). */
function flow(sde: Sde, score: ScoreFn, x: Float32Array, t0: number, t1: number, rtol: number) {
  const y0 = tf.tensor2d(x, [x.length / 2, 2]);
  const r = solve(pfOdeDrift(sde, score), y0, t0, t1, {
    method: DOPRI5,
    control: { kind: "adaptive", rtol, atol: rtol },
  });
  y0.dispose();
  const out = r.y.dataSync() as Float32Array;
  r.y.dispose();
  return out;
}

/**
 * Weights (w_a, w_b) of the two ends at fraction u of a path between a and b (rows of 2): linear
 * (1 - u, u), or spherical (slerp) sin((1 - u) omega) / sin omega, sin(u omega) / sin omega with
 * omega the angle between a and b, so that for |a| = |b| the point keeps their norm and lies at
 * angle u omega from a.
 */
export function pathWeights(
  a: Float32Array,
  b: Float32Array,
  u: number,
  spherical: boolean,
): [number, number] {
  if (!spherical) return [1 - u, u];
  const dot = a[0] * b[0] + a[1] * b[1], na = Math.hypot(a[0], a[1]), nb = Math.hypot(b[0], b[1]);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
  if (omega < 1e-6) return [1 - u, u];
  return [Math.sin((1 - u) * omega) / Math.sin(omega), Math.sin(u * omega) / Math.sin(omega)];
}

/** Paths between `pairs` pairs of points of `dataset` (stream `pairs`), by every method. */
export function interpolate(
  streams: Streams,
  sde: Sde,
  score: ScoreFn,
  dataset: Dataset,
  c: InterpolationConfig,
): Interpolation {
  const ends = dataset.sample(2 * c.pairs, streams.get("pairs")).x;
  const latents = flow(sde, score, ends, c.tMin, sde.T, c.rtol);
  const back = flow(sde, score, latents, sde.T, c.tMin, c.rtol);
  let err = 0;
  for (let i = 0; i < ends.length / 2; i++) {
    err += Math.hypot(back[2 * i] - ends[2 * i], back[2 * i + 1] - ends[2 * i + 1]) /
      (ends.length / 2);
  }
  const along = (z: Float32Array, spherical: boolean) => {
    const out = new Float32Array(c.pairs * c.points * 2);
    for (let p = 0; p < c.pairs; p++) {
      const a = z.subarray(4 * p, 4 * p + 2), b = z.subarray(4 * p + 2, 4 * p + 4);
      for (let k = 0; k < c.points; k++) {
        const [wa, wb] = pathWeights(a, b, k / (c.points - 1), spherical);
        out[2 * (p * c.points + k)] = wa * a[0] + wb * b[0];
        out[2 * (p * c.points + k) + 1] = wa * a[1] + wb * b[1];
      }
    }
    return out;
  };
  return {
    ends,
    latents,
    roundTripError: err,
    paths: {
      slerp: flow(sde, score, along(latents, true), sde.T, c.tMin, c.rtol),
      latentLinear: flow(sde, score, along(latents, false), sde.T, c.tMin, c.rtol),
      dataLinear: along(ends, false),
    },
  };
}

/**
 * Each method's interior points (ends left out) judged against the true law `m`: the fraction
 * within 3 std of a mode (a non-finite point counts as outside) and their mean log-density.
 */
export function interpolationFigures(
  r: Interpolation,
  m: GaussianMixture,
  c: InterpolationConfig,
): Record<string, number> {
  const out: Record<string, number> = { roundTripError: r.roundTripError };
  for (const method of METHODS) {
    const inner: number[] = [];
    for (let p = 0; p < c.pairs; p++) {
      for (let k = 1; k < c.points - 1; k++) {
        const i = p * c.points + k;
        inner.push(r.paths[method][2 * i], r.paths[method][2 * i + 1]);
      }
    }
    const x = Float32Array.from(inner);
    const finite = finiteRows(x, 2);
    const hq = modeCoverage(finite, m.means, m.std, m.weights).perMode.reduce((a, b) => a + b, 0);
    out[`hqFraction_${method}`] = hq / (x.length / 2);
    out[`meanLogDensity_${method}`] = mean(mixtureLogDensity(m, x));
  }
  return out;
}
