/**
 * A training step for a loss that is a (weighted) mean squared error of the network's output
 * against data,
 *
 *   L(theta) = (1 / n) sum_i lambda_row(i) (f_theta(x; features)_i - target_i)^2
 *
 * over the n output values (the DDPM and continuous-DSM epsilon losses; NCSN's with lambda =
 * sigma^2), or half the mean over rows of |f_theta(x)_row - target_row|^2 (DSM), taken without
 * tfjs's tape: the network's recorded forward pass (`recordedForward`), the loss and its gradient
 * in float32 arithmetic (`mse.ts`), the fused backward pass into the flat gradient, one optimizer
 * update. The bits are those of the same loss written with tfjs ops through `trainStep` (tested
 * for each objective); what it saves is the tape's bookkeeping around a network that is one op.
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "./adam.ts";
import { recordedForward } from "./fused.ts";
import {
  halfMeanRowSquare,
  halfMeanRowSquareGradient,
  meanSquare,
  meanSquareGradient,
} from "./mse.ts";
import type { NetworkSpec } from "./spec.ts";
import type { Params } from "./params.ts";

/** One minibatch of a regression: inputs, features (data, not weights) and targets. */
export interface RegressionBatch {
  x: tf.Tensor2D;
  features: Record<string, tf.Tensor2D>;
  /** The values the output should take, the output's shape. */
  target: Float32Array;
  /** lambda per row (1 when absent); only with the "mean" reduction. */
  rowWeights?: Float32Array;
  /** "mean" over every value (the default), or "halfRowSum": (1/2) mean over rows of row sums. */
  reduce?: "mean" | "halfRowSum";
}

/** A regression of a network's output, one batch per training step. */
export interface Regression {
  spec: NetworkSpec;
  /** The minibatch of `step` (it draws its own rows and noise; tensors the step disposes). */
  batch(step: number): RegressionBatch;
}

/** One optimizer step on the regression's batch at `step`; returns the loss. */
export function regressionStep(
  params: Params,
  optimizer: Adam,
  regression: Regression,
  step: number,
): number {
  return tf.tidy(() => {
    const b = regression.batch(step);
    const run = recordedForward(regression.spec, params.flat, b.x, b.features);
    const out = run.out.dataSync() as Float32Array;
    if (out.length !== b.target.length) {
      throw new RangeError(
        `regression: the output has ${out.length} values and the target ${b.target.length}`,
      );
    }
    const dim = run.out.shape[1];
    const half = b.reduce === "halfRowSum";
    if (half && b.rowWeights) throw new Error("regression: row weights go with the mean reduction");
    const value = half
      ? halfMeanRowSquare(out, b.target, dim)
      : meanSquare(out, b.target, b.rowWeights);
    const g = half
      ? halfMeanRowSquareGradient(out, b.target, dim)
      : meanSquareGradient(out, b.target, 1, b.rowWeights);
    const dy = tf.tensor2d(g, run.out.shape);
    optimizer.update(run.weightGradient(dy));
    return value;
  });
}
