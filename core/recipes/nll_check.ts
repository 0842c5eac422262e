/**
 * The likelihood code against the closed form: under an SDE with the exact score of a mixture,
 * the probability-flow-ODE NLL of data points must equal -log p(x0). The main solve uses the exact
 * marginal at t = T as the prior (so it tests the ODE, the divergence and the solver alone); beside
 * it the usual N(0, I) prior, tolerances, fixed-step RK4 and Hutchinson's estimator.
 */
import type { GaussianMixture } from "../data/mixtures.ts";
import { marginal, mixtureLogDensity, MixtureOracle } from "../data/mixtures.ts";
import { nll, type NllOptions } from "../likelihood.ts";
import { scoreFromMixtureAtTime } from "../models.ts";
import { type Sde, veSde } from "../noise/sde.ts";
import type { Progress } from "../runtime/progress.ts";
import type { Stream } from "../runtime/random.ts";

/** What to solve besides the main solve. */
export interface NllCheckConfig {
  /** Smallest time: the ODE starts from the data at t = tMin. */
  tMin: number;
  /** rtol = atol of the main adaptive solve. */
  tolerance: number;
  /** Further tolerances to show the error falling as they tighten. */
  tolerances: number[];
  rk4Steps: number[];
  hutchinsonProbes: number[];
}

/** One solve: its mean absolute error (nats), mean NLL, cost and wall time. */
export interface Solve {
  error: number;
  meanNll: number;
  nfe: number;
  seconds: number;
}

/** The results of {@link nllCheck} on one data set. */
export interface NllCheck {
  /** The points (flat, 2 per row). */
  x: Float32Array;
  /** Per-point NLL of the main solve and the closed form. */
  nll: Float64Array;
  closed: Float64Array;
  main: Solve;
  /** The main solve with the SDE's own prior (N(0, I) for VP, N(0, sigma_max^2 I) for VE). */
  sdePrior: Solve;
  byTolerance: (Solve & { tolerance: number })[];
  rk4: (Solve & { steps: number })[];
  /** Error against the exact divergence's NLL, not the closed form. */
  hutchinson: (Solve & { probes: number })[];
}

/** Mean |a - b|. */
export function meanAbsDifference(a: Float64Array, b: Float64Array): number {
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
}

/** Run every solve of the check on points `x` of `mixture` (probe streams from `probes(n)`). */
export async function nllCheck(
  sde: Sde,
  mixture: GaussianMixture,
  x: Float32Array,
  c: NllCheckConfig,
  probes: (n: number) => Stream,
  phase: ReturnType<Progress["phase"]>,
): Promise<NllCheck> {
  const closed = mixtureLogDensity(mixture, x).map((v) => -v);
  const oracle = new MixtureOracle(mixture);
  const score = scoreFromMixtureAtTime(oracle, sde);
  const exactPrior = (xT: Float64Array) =>
    mixtureLogDensity(marginal(mixture, sde.meanCoef(sde.T), sde.std(sde.T)), xT);
  const run = (o: NllOptions, against: Float64Array = closed) => {
    const start = performance.now();
    const r = nll(sde, score, x, 2, { tMin: c.tMin, priorLogDensity: exactPrior, ...o });
    const seconds = (performance.now() - start) / 1000;
    const meanNll = r.nll.reduce((a, b) => a + b, 0) / r.nll.length;
    return { nll: r.nll, error: meanAbsDifference(r.nll, against), meanNll, nfe: r.nfe, seconds };
  };
  const adaptive = (tol: number) => ({ kind: "adaptive" as const, rtol: tol, atol: tol });
  try {
    const main = run({ solver: adaptive(c.tolerance) });
    await phase.tick();
    const sdePrior = run({ solver: adaptive(c.tolerance), priorLogDensity: undefined });
    await phase.tick();
    const byTolerance = [];
    for (const tolerance of c.tolerances) {
      byTolerance.push({ tolerance, ...strip(run({ solver: adaptive(tolerance) })) });
      await phase.tick();
    }
    const rk4 = [];
    for (const steps of c.rk4Steps) {
      rk4.push({ steps, ...strip(run({ solver: { kind: "fixed", method: "rk4", steps } })) });
      await phase.tick();
    }
    const hutchinson = [];
    for (const n of c.hutchinsonProbes) {
      const r = run({
        solver: adaptive(c.tolerance),
        divergence: { kind: "hutchinson", probes: n, stream: probes(n) },
      }, main.nll);
      hutchinson.push({ probes: n, ...strip(r) });
      await phase.tick();
    }
    return {
      x,
      nll: main.nll,
      closed,
      main: strip(main),
      sdePrior: strip(sdePrior),
      byTolerance,
      rk4,
      hutchinson,
    };
  } finally {
    oracle.dispose();
  }
}

function strip(r: Solve & { nll: Float64Array }): Solve {
  return { error: r.error, meanNll: r.meanNll, nfe: r.nfe, seconds: r.seconds };
}

/** The VE prior's cost at one sigma_max. */
export interface PriorCost {
  sigmaMax: number;
  /** Mean |NLL - closed form| with the exact marginal at t = 1 as prior. */
  mad: number;
  /** Mean NLL with N(0, sigma_max^2 I) minus with the exact marginal. */
  priorError: number;
  /**
   * The same cost if the data were Gaussian with their second moments: KL(N(0, M + s^2 I) ||
   * N(0, s^2 I)) = sum_d (u_d - ln(1 + u_d)) / 2, u_d = E[x_d^2] / s^2 (the data's shape adds to it).
   */
  gaussian: number;
}

/**
 * For each sigma_max, the VE SDE's NLL of points `x` with the exact marginal at t = 1 as prior and
 * with its N(0, sigma_max^2 I) prior, which ignores x_0.
 */
export async function vePriorCost(
  mixture: GaussianMixture,
  x: Float32Array,
  sigmaMin: number,
  sigmaMaxes: number[],
  c: { tMin: number; tolerance: number },
  phase: ReturnType<Progress["phase"]>,
): Promise<PriorCost[]> {
  const moments = [0, 0];
  for (let i = 0; i < x.length; i++) moments[i % 2] += (x[i] * x[i]) / (x.length / 2);
  const out: PriorCost[] = [];
  for (const sigmaMax of sigmaMaxes) {
    const r = await nllCheck(veSde(sigmaMin, sigmaMax), mixture, x, {
      ...c,
      tolerances: [],
      rk4Steps: [],
      hutchinsonProbes: [],
    }, () => {
      throw new Error("no Hutchinson probes here");
    }, phase);
    out.push({
      sigmaMax,
      mad: r.main.error,
      priorError: r.sdePrior.meanNll - r.main.meanNll,
      gaussian: moments.reduce((a, m) => {
        const u = m / sigmaMax ** 2;
        return a + (u - Math.log1p(u)) / 2;
      }, 0),
    });
  }
  return out;
}

/**
 * The figures of one data set's check, suffixed `_<name>`: `mad`, `nfe`, `madPriorN01`,
 * `madTol_<tol>` and `nfeTol_<tol>`, `madRk4_<steps>`, `madHutchinson_<probes>`.
 */
export function nllCheckMetrics(name: string, r: NllCheck): Record<string, number> {
  const m: Record<string, number> = {
    [`mad_${name}`]: r.main.error,
    [`nfe_${name}`]: r.main.nfe,
    [`madPriorN01_${name}`]: r.sdePrior.error,
  };
  for (const t of r.byTolerance) {
    m[`madTol_${t.tolerance}_${name}`] = t.error;
    m[`nfeTol_${t.tolerance}_${name}`] = t.nfe;
  }
  for (const s of r.rk4) m[`madRk4_${s.steps}_${name}`] = s.error;
  for (const h of r.hutchinson) m[`madHutchinson_${h.probes}_${name}`] = h.error;
  return m;
}
