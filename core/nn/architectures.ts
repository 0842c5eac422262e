/** The seeds' networks, as {@link NetworkSpec}s. */
import type { NetworkSpec } from "./spec.ts";

/**
 * Seed 004's noise predictor (DiffusionModel): a learned time embedding (T x timeEmbedDim) and x into
 * an MLP with ReLU, (d + 16)-128-128-d by default.
 */
export function ddpmNoisePredictor(
  c: { T: number; timeEmbedDim: number; hidden: number[] },
  dim = 2,
  timeEmbedding: "learned" | "sinusoidal" = "learned",
): NetworkSpec {
  return {
    inputDim: dim,
    features: [
      timeEmbedding === "learned"
        ? { kind: "embedding", name: "t", classes: c.T, dim: c.timeEmbedDim }
        // timeEmbedDim / 2 fixed frequencies of t / (T - 1), geometric from 1 to T.
        : {
          kind: "sinusoidal",
          name: "t",
          frequencies: Math.max(1, Math.floor(c.timeEmbedDim / 2)),
          maxFrequency: c.T,
        },
    ],
    hidden: c.hidden,
    activation: "relu",
    outputDim: dim,
  };
}

/** Seed 004's ScoreNet2D: 2-128-128-128-2 with Softplus, an unconditional score s(x). */
export function scoreNet2d(hidden: number[] = [128, 128, 128], dim = 2): NetworkSpec {
  return { inputDim: dim, features: [], hidden, activation: "softplus", outputDim: dim };
}

/** Seed 000's SimpleScoreNet: x and log(sigma + 1e-5) into 3-128-128-128-2 with SiLU. */
export function noiseConditionalMlp(hidden: number[] = [128, 128, 128], dim = 2): NetworkSpec {
  return {
    inputDim: dim,
    features: [{ kind: "input", name: "logSigma", dim: 1 }],
    hidden,
    activation: "silu",
    outputDim: dim,
  };
}

/**
 * Seed 002's ScoreNetwork: x and the raw noise level sigma (not its log) concatenated into a
 * ReLU MLP, (dim + 1) -> 128 -> 128 -> dim.
 */
export function rawSigmaMlp(hidden: number[] = [128, 128], dim = 2): NetworkSpec {
  return {
    inputDim: dim,
    features: [{ kind: "input", name: "sigma", dim: 1 }],
    hidden,
    activation: "relu",
    outputDim: dim,
  };
}

/**
 * A time-conditional epsilon network for SDEs: x and sinusoidal features of t in [0, 1]
 * (frequencies geometric from 1 to maxFrequency) into an MLP with SiLU.
 */
export function timeConditionalMlp(
  c: { hidden: number[]; frequencies: number; maxFrequency: number },
  dim = 2,
): NetworkSpec {
  return {
    inputDim: dim,
    features: [{
      kind: "sinusoidal",
      name: "t",
      frequencies: c.frequencies,
      maxFrequency: c.maxFrequency,
    }],
    hidden: c.hidden,
    activation: "silu",
    outputDim: dim,
  };
}

/**
 * A noise-conditional classifier p(y | x_t, t): x and a learned time embedding into an MLP with
 * ReLU, `classes` logits out (classifier guidance).
 */
export function noisyClassifier(
  c: { T: number; timeEmbedDim: number; hidden: number[] },
  classes: number,
  dim = 2,
): NetworkSpec {
  return { ...ddpmNoisePredictor(c, dim), outputDim: classes };
}
