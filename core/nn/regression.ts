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

/**
 * What an objective regresses, written once per objective and used by both forms of its loss (a
 * tfjs op through the tape, {@link regressionLoss}, and {@link regressionStep}): the network's
 * input rows, the values its output should take, and how the squares are weighed.
 */
export interface RegressionTarget {
  /** The network's input rows, flat, `dim` per row. */
  x: Float32Array;
  dim: number;
  /** The values the output should take, the output's shape. */
  target: Float32Array;
  /** lambda per row (1 when absent); only with the "mean" reduction. */
  rowWeights?: Float32Array;
  /** "mean" over every value (the default), or "halfRowSum": (1/2) mean over rows of row sums. */
  reduce?: "mean" | "halfRowSum";
}

/** One minibatch of a regression: the target and the network's features (data, not weights). */
export interface RegressionBatch extends RegressionTarget {
  features: Record<string, tf.Tensor2D>;
}

/** A regression of a network's output, one batch per training step. */
export interface Regression {
  spec: NetworkSpec;
  /** The minibatch of `step` (it draws its own rows and noise; tensors the step disposes). */
  batch(step: number): RegressionBatch;
}

/** The rows of `r.x` as a tensor [N, dim]. */
export function inputOf(r: RegressionTarget): tf.Tensor2D {
  return tf.tensor2d(r.x, [r.x.length / r.dim, r.dim]);
}

/** The loss of the output values `out` [rows x dim], and dL/dout for an upstream factor dy. */
function lossAndGradient(
  out: Float32Array,
  dim: number,
  r: RegressionTarget,
  dy: number,
): { value: () => number; gradient: () => Float32Array } {
  if (out.length !== r.target.length) {
    throw new RangeError(
      `regression: the output has ${out.length} values and the target ${r.target.length}`,
    );
  }
  const rows = out.length / dim;
  if (r.rowWeights && r.rowWeights.length !== rows) {
    throw new RangeError(
      `regression: ${r.rowWeights.length} row weights for an output of ${rows} rows`,
    );
  }
  if (r.reduce === "halfRowSum") {
    if (r.rowWeights) throw new Error("regression: row weights go with the mean reduction");
    return {
      value: () => halfMeanRowSquare(out, r.target, dim),
      gradient: () => halfMeanRowSquareGradient(out, r.target, dim, dy),
    };
  }
  return {
    value: () => meanSquare(out, r.target, r.rowWeights),
    gradient: () => meanSquareGradient(out, r.target, dy, r.rowWeights),
  };
}

/**
 * The regression's loss of an output `pred` [N, d] as one differentiable tfjs op (for a loss of a
 * model function, through the tape): the value and gradient {@link regressionStep} takes.
 */
export function regressionLoss(pred: tf.Tensor2D, r: RegressionTarget): tf.Scalar {
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = inputs[0] as tf.Tensor2D;
    const out = p.dataSync() as Float32Array;
    const at = (dy: number) => lossAndGradient(out, p.shape[1], r, dy);
    return {
      value: tf.scalar(at(1).value()),
      gradFunc: (dy: tf.Tensor) => tf.tensor(at(dy.dataSync()[0]).gradient(), p.shape),
    };
  });
  return op(pred) as tf.Scalar;
}

/**
 * The loss of a model (a function of the input rows) on a regression target, through the tape:
 * {@link regressionLoss} of the model's output on `r.x`.
 */
export function modelLoss(r: RegressionTarget, model: (x: tf.Tensor2D) => tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => regressionLoss(model(inputOf(r)), r));
}

/** The values of a data tensor (an objective's rows or noise) as float32. */
export function valuesOf(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
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
    const run = recordedForward(regression.spec, params.flat, inputOf(b), b.features);
    const l = lossAndGradient(run.out.dataSync() as Float32Array, run.out.shape[1], b, 1);
    const value = l.value();
    optimizer.update(run.weightGradient(tf.tensor2d(l.gradient(), run.out.shape)));
    return value;
  });
}
