/**
 * The training loop: loss and gradient for every weight, one optimizer update per step, and a stop
 * with a clear message the moment the loss is not finite.
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "./adam.ts";
import type { Params } from "./params.ts";
import { type Regression, regressionStep } from "./regression.ts";
import { flatWeights, viewWeights, type Weights } from "./weights.ts";

/** Raised when a loss is NaN or infinite: training diverged. */
export class DivergenceError extends Error {
  override name = "DivergenceError";
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly lastFiniteLoss: number | null,
  ) {
    super(
      `training diverged at step ${step}: loss is ${loss}` +
        (lastFiniteLoss === null
          ? " (no finite loss before it)"
          : `; the last finite loss was ${lastFiniteLoss.toPrecision(6)}`) +
        ". Lower the learning rate or check the data.",
    );
  }
}

/** A loss of the model's weights at a training step (it draws its own minibatch). */
export type LossFn = (w: Weights, step: number) => tf.Scalar;

/**
 * How a loss's gradient is taken: "fused" (the default) runs the network as one op with a
 * hand-written first-order backward pass (`core/nn/fused.ts`); "autodiff" differentiates named
 * views op by op, which losses that differentiate the network themselves (exact and sliced score
 * matching) need.
 */
export type GradientMode = "fused" | "autodiff";

/**
 * The loss at `step` and its gradient with respect to every weight, gathered into one flat vector
 * (the layout of `params.flat`). Tensors the caller disposes (or a surrounding tidy does).
 */
export function lossAndGradient(
  params: Params,
  loss: LossFn,
  step: number,
  mode: GradientMode = "fused",
): { value: tf.Scalar; grad: tf.Tensor1D } {
  if (mode === "fused") {
    const { value, grad } = tf.valueAndGrad((flat: tf.Tensor1D) => loss(flatWeights(flat), step))(
      params.flat,
    );
    return { value, grad: grad as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const views = params.split(params.flat);
    const names = params.layout.map((s) => s.name);
    const f = (...ts: tf.Tensor[]) =>
      loss(viewWeights(Object.fromEntries(names.map((n, i) => [n, ts[i]]))), step);
    const { value, grads } = tf.valueAndGrads(f)(names.map((n) => views[n]));
    return { value, grad: tf.concat(grads.map((g) => tf.reshape(g, [-1]))) as tf.Tensor1D };
  });
}

/**
 * One optimizer step: the loss at `step`, its gradient ({@link lossAndGradient}), one update.
 * Returns the loss value.
 */
export function trainStep(
  params: Params,
  optimizer: Adam,
  loss: LossFn,
  step: number,
  mode: GradientMode = "fused",
): number {
  return tf.tidy(() => {
    const { value, grad } = lossAndGradient(params, loss, step, mode);
    optimizer.update(grad);
    return value.dataSync()[0];
  });
}

/** Options of {@link fit}. */
export interface FitOptions {
  params: Params;
  optimizer: Adam;
  /** Total number of optimizer steps. */
  steps: number;
  /**
   * The loss: a function of the weights, differentiated through tfjs's tape, or a regression of
   * the network's output (`regression.ts`: the same bits without the tape).
   */
  loss: LossFn | Regression;
  /** First step to run (a resumed run starts past 0). */
  startStep?: number;
  /** The losses so far (a resumed run continues filling them); a fresh array otherwise. */
  losses?: Float32Array;

  /** How the gradient is taken (default "fused"). */
  gradient?: GradientMode;
  /** Called after every step with its loss (progress, checkpoints). */
  onStep?: (step: number, loss: number) => void | Promise<void>;
}

/** Train for `steps` steps; returns the loss of every step. Throws {@link DivergenceError} on a NaN. */
export async function fit(o: FitOptions): Promise<Float32Array> {
  const losses = o.losses ?? new Float32Array(o.steps);
  const start = o.startStep ?? 0;
  let lastFinite: number | null = start > 0 ? losses[start - 1] : null;

  for (let step = start; step < o.steps; step++) {
    const value = typeof o.loss === "function"
      ? trainStep(o.params, o.optimizer, o.loss, step, o.gradient)
      : regressionStep(o.params, o.optimizer, o.loss, step);
    if (!Number.isFinite(value)) throw new DivergenceError(step, value, lastFinite);
    lastFinite = value;
    losses[step] = value;
    await o.onStep?.(step, value);
  }
  return losses;
}
