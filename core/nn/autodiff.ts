/**
 * The network evaluated op by op with named weights: differentiable at any order by tfjs's
 * autodiff, and in forward mode (directional derivatives J v riding along the forward pass).
 */
import * as tf from "@tensorflow/tfjs";
import { dense, matMul } from "./dense.ts";
import { type Activation, checkFeatureRows, type Feature, type NetworkSpec } from "./spec.ts";
import { sinusoidal } from "./sinusoidal.ts";

/** Named weight tensors. */
type Named = Readonly<Record<string, tf.Tensor>>;

/** Apply a nonlinearity. */
export function activate(a: Activation, x: tf.Tensor2D): tf.Tensor2D {
  switch (a) {
    case "relu":
      return tf.relu(x);
    case "softplus":
      return tf.softplus(x);
    case "silu":
      return tf.mul(x, tf.sigmoid(x));
  }
}

function featureValue(f: Feature, w: Named, input: tf.Tensor2D): tf.Tensor2D {
  switch (f.kind) {
    case "embedding":
      return dense(input, w[`${f.name}.table`] as tf.Tensor2D);
    case "input":
      return input;
    case "mlp": {
      let h = input;
      for (let i = 0; i + 1 < f.sizes.length; i++) {
        if (i > 0) h = activate(f.activation, h);
        h = dense(h, w[`${f.name}.${i}.w`] as tf.Tensor2D, w[`${f.name}.${i}.b`] as tf.Tensor1D);
      }
      return h;
    }
    case "sinusoidal":
      return sinusoidal(input, f.frequencies, f.maxFrequency);
  }
}

/**
 * A feature's block [m, width] for the rows of x: as it is when m is x's row count or 1 (shared,
 * broadcast), else each of its m rows repeated over its group of consecutive rows of x.
 */
function perRow(block: tf.Tensor2D, x: tf.Tensor2D, f: Feature): tf.Tensor2D {
  const [m, width] = block.shape;
  const n = x.shape[0];
  checkFeatureRows(f, m, n);
  if (m === n || m === 1) return block;
  return tf.reshape(tf.tile(tf.reshape(block, [m, 1, width]), [1, n / m, 1]), [n, width]);
}

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or a shared [1, width]),
 * with named weights.
 */
export function forwardAutodiff(
  spec: NetworkSpec,
  w: Named,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D> = {},
): tf.Tensor2D {
  let h = dense(x, w["in.x"] as tf.Tensor2D);
  for (const f of spec.features) {
    const input = features[f.name];
    if (!input) throw new Error(`network input "${f.name}" is missing`);
    h = tf.add(h, perRow(dense(featureValue(f, w, input), w[`in.${f.name}`] as tf.Tensor2D), x, f));
  }
  h = activate(spec.activation, tf.add(h, w["in.b"]));
  for (let i = 1; i < spec.hidden.length; i++) {
    h = activate(
      spec.activation,
      dense(h, w[`h${i}.w`] as tf.Tensor2D, w[`h${i}.b`] as tf.Tensor1D),
    );
  }
  return dense(h, w["out.w"] as tf.Tensor2D, w["out.b"] as tf.Tensor1D);
}

/** d act(z) / dz, written with differentiable ops (a loss built on it is differentiated again). */
function activationSlope(a: Activation, z: tf.Tensor2D): tf.Tensor2D {
  switch (a) {
    case "relu":
      return tf.step(z);
    case "softplus":
      return tf.sigmoid(z);
    case "silu": {
      const s = tf.sigmoid(z);
      return tf.mul(s, tf.add(1, tf.mul(z, tf.sub(1, s))));
    }
  }
}

/**
 * The output s(x) and its directional derivatives J v_k = d s(x + e v_k)/de at e = 0 for
 * tangents v_k [N, inputDim] (forward mode): the tangents ride along the forward pass as extra rows,
 *
 *   z = h W + b,  h' = act(z);   t = t_in W,  t' = act'(z) t,
 *
 * so every layer is one matmul over (1 + K) N rows. The features do not depend on x and carry no
 * tangent. Built from differentiable ops with named views: a loss of J v (exact and sliced score
 * matching) is then differentiated by ordinary first-order autodiff, with no nested backward pass.
 */
export function forwardJvp(
  spec: NetworkSpec,
  w: Named,
  x: tf.Tensor2D,
  tangents: tf.Tensor2D[],
  features: Record<string, tf.Tensor2D> = {},
): { value: tf.Tensor2D; tangents: tf.Tensor2D[] } {
  const n = x.shape[0], k = tangents.length;
  const split = (all: tf.Tensor2D) =>
    [tf.slice(all, [0, 0], [n, -1]), tf.slice(all, [n, 0], [k * n, -1])] as [
      tf.Tensor2D,
      tf.Tensor2D,
    ];
  // First layer: x and the tangents through W_x; the features add to the value rows only.
  let [z, t] = split(
    matMul(tf.concat([x, ...tangents], 0) as tf.Tensor2D, w["in.x"] as tf.Tensor2D),
  );
  for (const f of spec.features) {
    const input = features[f.name];
    if (!input) throw new Error(`network input "${f.name}" is missing`);
    z = tf.add(z, perRow(dense(featureValue(f, w, input), w[`in.${f.name}`] as tf.Tensor2D), x, f));
  }
  z = tf.add(z, w["in.b"]);
  const layers = [
    ...spec.hidden.slice(1).map((_, i) => [`h${i + 1}.w`, `h${i + 1}.b`]),
    ["out.w", "out.b"],
  ];
  for (const [wn, bn] of layers) {
    const h = activate(spec.activation, z);
    const slope = activationSlope(spec.activation, z);
    const tIn = tf.mul(k > 1 ? tf.tile(slope, [k, 1]) : slope, t) as tf.Tensor2D;
    [z, t] = split(matMul(tf.concat([h, tIn], 0) as tf.Tensor2D, w[wn] as tf.Tensor2D));
    z = tf.add(z, w[bn]);
  }
  return {
    value: z,
    tangents: Array.from({ length: k }, (_, i) => tf.slice(t, [i * n, 0], [n, -1]) as tf.Tensor2D),
  };
}
