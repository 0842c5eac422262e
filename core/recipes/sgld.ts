/**
 * SGLD against the exact posterior of a Bayesian linear regression (core/data/bayes_regression.ts):
 * full-batch Langevin (ULA) and minibatch SGLD at constant steps, and SGLD with Welling & Teh's
 * decaying steps; each chain set judged by its mean and covariance against the closed form, and by
 * MMD² after whitening with the exact posterior (so the target is N(0, I)). For ULA the stationary
 * variance along a precision eigenvalue lambda is known, 1 / (lambda (1 - eps lambda / 4)).
 */
import {
  type Regression,
  regressionGradient,
  regressionPosterior,
  sampleRegression,
} from "../data/bayes_regression.ts";
import { mixtureDataset } from "../data/datasets.ts";
import { QualityJudge, type QualityOptions } from "../metrics/quality.ts";
import { sgld, type SgldSteps } from "../samplers/sgld.ts";
import type { Streams } from "../runtime/random.ts";
import { rules } from "../spec/rules.ts";
import type { Section } from "../spec/section.ts";

/** The regression section: rows, true weights, noise and prior precision. */
export interface RegressionConfig {
  rows: number;
  weights: [number, number];
  noiseStd: number;
  priorPrecision: number;
}

/** The chains section: how many, how long, the constant steps and batch sizes, the decay. */
export interface ChainsConfig {
  chains: number;
  iterations: number;
  stepSizes: number[];
  batchSizes: number[];
  decay: SgldSteps;
}

/** The rules of the two sections. */
export const SGLD_SECTIONS: {
  regression: Section<RegressionConfig>;
  chains: Section<ChainsConfig>;
} = {
  regression: {
    schema: {
      rows: rules.int(2, 1_000_000),
      weights: rules.list(rules.number(-100, 100), 2, 2),
      noiseStd: rules.positive(100),
      priorPrecision: rules.positive(1e6),
    },
  },
  chains: {
    schema: {
      chains: rules.int(2, 100_000),
      iterations: rules.int(1, 1_000_000),
      stepSizes: rules.list(rules.positive(1), 1, 8),
      batchSizes: rules.list(rules.int(1, 1_000_000), 1, 8),
      decay: rules.object({
        a: rules.positive(1),
        b: rules.number(0, 1e9),
        gamma: rules.number(0, 1),
      }),
    },
  },
};

/** N(0, I) in two dimensions: the law of the whitened chains when they sample the posterior. */
export const STANDARD_NORMAL = mixtureDataset("standard_normal", {
  means: [[0, 0]],
  std: 1,
  weights: [1],
});

/** One chain set's figures against the exact posterior. */
export interface ChainFigures {
  label: string;
  /** Final states in whitened coordinates (target N(0, I)), flat. */
  whitened: Float32Array;
  /** Mahalanobis distance of the chains' mean to the posterior mean. */
  meanError: number;
  /** trace of the chains' covariance / trace of the posterior covariance. */
  varianceRatio: number;
  /** The same predicted in closed form (ULA only). */
  predictedRatio?: number;
  mmd2: number;
}

/** The study's result: the data's posterior and every chain set's figures. */
export interface SgldStudy {
  posterior: ReturnType<typeof regressionPosterior>;
  sets: ChainFigures[];
}

/** Whitening by the posterior: L^-1 (theta - m) with S = L L^T (Cholesky of the 2 x 2 covariance). */
function whiten(theta: Float64Array, post: SgldStudy["posterior"]): Float32Array {
  const [s00, s01, s11] = post.cov;
  const l00 = Math.sqrt(s00), l10 = s01 / l00, l11 = Math.sqrt(s11 - l10 * l10);
  const out = new Float32Array(theta.length);
  for (let i = 0; i < theta.length / 2; i++) {
    const a = theta[2 * i] - post.mean[0], b = theta[2 * i + 1] - post.mean[1];
    out[2 * i] = a / l00;
    out[2 * i + 1] = (b - l10 * (a / l00)) / l11;
  }
  return out;
}

/** Eigenvalues of the posterior precision (the inverse of the 2 x 2 covariance). */
function precisionEigenvalues(cov: [number, number, number]): [number, number] {
  const [a, b, d] = cov, tr = a + d, det = a * d - b * b;
  const disc = Math.sqrt(Math.max(tr * tr / 4 - det, 0));
  return [1 / (tr / 2 + disc), 1 / (tr / 2 - disc)];
}

/** Run every chain set of the config on a regression drawn from the `data` stream. */
export function sgldStudy(
  streams: Streams,
  r: RegressionConfig,
  c: ChainsConfig,
  quality: QualityOptions,
): SgldStudy {
  const data: Regression = sampleRegression(
    r.rows,
    r.weights,
    r.noiseStd,
    r.priorPrecision,
    streams.get("data"),
  );
  const posterior = regressionPosterior(data);
  const judge = new QualityJudge(STANDARD_NORMAL, quality);
  const init = streams.get("init");
  const start = Float64Array.from(
    { length: 2 * c.chains },
    () => init.normal() / Math.sqrt(r.priorPrecision),
  );
  const gradient = (w: Float64Array, out: Float64Array, batch?: Int32Array) =>
    regressionGradient(data, w, out, batch);
  const lambdas = precisionEigenvalues(posterior.cov);
  const trace = posterior.cov[0] + posterior.cov[2];
  const sets: ChainFigures[] = [];
  const run = (label: string, steps: SgldSteps, batchSize: number, predicted?: number) => {
    const chainStreams = Array.from(
      { length: c.chains },
      (_, i) => streams.get(`chains/${label}/${i}`),
    );
    const theta = sgld(gradient, start, chainStreams, {
      steps,
      iterations: c.iterations,
      batchSize,
      n: r.rows,
      dim: 2,
    });
    const whitened = whiten(theta, posterior);
    let m0 = 0, m1 = 0;
    for (let i = 0; i < c.chains; i++) {
      m0 += theta[2 * i] / c.chains;
      m1 += theta[2 * i + 1] / c.chains;
    }
    let v = 0;
    for (let i = 0; i < c.chains; i++) {
      v += ((theta[2 * i] - m0) ** 2 + (theta[2 * i + 1] - m1) ** 2) / (c.chains - 1);
    }
    const mw = whiten(Float64Array.of(m0, m1), posterior);
    sets.push({
      label,
      whitened,
      meanError: Math.hypot(mw[0], mw[1]),
      varianceRatio: v / trace,
      predictedRatio: predicted,
      mmd2: judge.figures(whitened).quality.mmd2,
    });
  };
  for (const h of c.stepSizes) {
    const ula = lambdas.reduce((t, l) => t + 1 / (l * (1 - (h * l) / 4)), 0) / trace;
    run(`ula_h${h}`, { a: h, b: 1, gamma: 0 }, r.rows, ula);
    for (const b of c.batchSizes) run(`sgld_b${b}_h${h}`, { a: h, b: 1, gamma: 0 }, b);
  }
  for (const b of c.batchSizes) run(`sgld_b${b}_decay`, c.decay, b);
  return { posterior, sets };
}
