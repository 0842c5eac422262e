/**
 * A training step for a loss that is a mean squared error of the network's output against data,
 *
 *   L(theta) = (1 / N) sum_i (f_theta(x; features)_i - target_i)^2,
 *
 * (the DDPM epsilon loss, for one) taken without tfjs's tape: the network's recorded forward pass
 * (`recordedForward`), the loss and its gradient in float32 arithmetic (`meanSquare`), the fused
 * backward pass into the flat gradient, one optimizer update. The bits are those of
 * `trainStep(params, optimizer, (w) => meanSquaredError(net.apply(w, x, features), target))`
 * (tested); what it saves is the tape's bookkeeping around a network that is one op anyway.
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "./adam.ts";
import { recordedForward } from "./fused.ts";
import { meanSquare, meanSquareGradient } from "./mse.ts";
import type { NetworkSpec } from "./spec.ts";
import type { Params } from "./params.ts";

/** One minibatch of a regression: inputs, features (data, not weights) and targets. */
export interface RegressionBatch {
  x: tf.Tensor2D;
  features: Record<string, tf.Tensor2D>;
  /** The values the output should take, the output's shape. */
  target: Float32Array;
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
    const value = meanSquare(out, b.target);
    const dy = tf.tensor2d(meanSquareGradient(out, b.target, 1), run.out.shape);
    optimizer.update(run.weightGradient(dy));
    return value;
  });
}
