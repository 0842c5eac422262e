/**
 * The network family of the harness: an MLP on x and named conditioning features.
 *
 * Every model of the seeds is one {@link NetworkSpec}: seed 004's noise predictor (a learned time
 * embedding, 18-128-128-2 ReLU), its ScoreNet2D (2-128-128-128-2 Softplus), seed 000's
 * noise-conditional MLP (x and log sigma, SiLU), the conditional predictors (one-hot label, radius
 * embedded by a 1-16-16 MLP) and time-continuous score networks (sinusoidal features of t).
 *
 * The first layer is written as a sum of blocks, h = x W_x + sum_f feature_f W_f + b, which equals
 * concatenating the inputs and applying one matrix. A feature shared by the whole batch (the
 * sampler's current t) can therefore be a single row [1, d] that broadcasts.
 */
import * as tf from "@tensorflow/tfjs";
import { dense, matMul } from "./dense.ts";
import { Params, type ParamSpec, type Weights } from "./params.ts";
import { fusedForward, isFused } from "./fused.ts";
import type { Stream } from "../runtime/random.ts";

/** Pointwise nonlinearity. */
export type Activation = "relu" | "softplus" | "silu";

/** An input of the network besides x, given to {@link forward} under its name. */
export type Feature =
  /** A learned table (nn.Embedding), fed as one-hot rows [N, classes]: a one-hot matmul, since
   * the gradient of tf.gather is missing on the WASM backend. */
  | { kind: "embedding"; name: string; classes: number; dim: number }
  /** Fed as is, [N, dim] (one-hot labels, log sigma). */
  | { kind: "input"; name: string; dim: number }
  /** A small MLP of the given input (sizes[0] wide), with the activation between its layers. */
  | { kind: "mlp"; name: string; sizes: number[]; activation: Activation }
  /** Fixed sinusoidal features of a scalar s in [0, 1]: sin(w_k s), cos(w_k s), with frequencies
   * w_k geometric from 1 to `maxFrequency`. */
  | { kind: "sinusoidal"; name: string; frequencies: number; maxFrequency: number };

/** Architecture: x (inputDim wide) and features -> hidden layers -> outputDim. */
export interface NetworkSpec {
  inputDim: number;
  features: Feature[];
  hidden: number[];
  activation: Activation;
  outputDim: number;
}

/** Width of a feature as it enters the first layer. */
export function featureWidth(f: Feature): number {
  switch (f.kind) {
    case "embedding":
      return f.dim;
    case "input":
      return f.dim;
    case "mlp":
      return f.sizes[f.sizes.length - 1];
    case "sinusoidal":
      return 2 * f.frequencies;
  }
}

function linear(name: string, fanIn: number, shape: number[]): ParamSpec {
  return { name, shape, init: { kind: "uniform", bound: 1 / Math.sqrt(fanIn) } };
}

/** The weights of a spec, initialised as PyTorch does (Linear: U(+-1/sqrt(fan_in)); Embedding: N(0, 1)). */
export function paramSpecs(spec: NetworkSpec): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const h0 = spec.hidden[0];
  const fanIn = spec.inputDim + spec.features.reduce((a, f) => a + featureWidth(f), 0);
  for (const f of spec.features) {
    if (f.kind === "embedding") {
      specs.push({
        name: `${f.name}.table`,
        shape: [f.classes, f.dim],
        init: { kind: "normal", std: 1 },
      });
    } else if (f.kind === "mlp") {
      for (let i = 0; i + 1 < f.sizes.length; i++) {
        specs.push(linear(`${f.name}.${i}.w`, f.sizes[i], [f.sizes[i], f.sizes[i + 1]]));
        specs.push(linear(`${f.name}.${i}.b`, f.sizes[i], [f.sizes[i + 1]]));
      }
    }
  }
  specs.push(linear("in.x", fanIn, [spec.inputDim, h0]));
  for (const f of spec.features) specs.push(linear(`in.${f.name}`, fanIn, [featureWidth(f), h0]));
  specs.push(linear("in.b", fanIn, [h0]));
  for (let i = 1; i < spec.hidden.length; i++) {
    specs.push(linear(`h${i}.w`, spec.hidden[i - 1], [spec.hidden[i - 1], spec.hidden[i]]));
    specs.push(linear(`h${i}.b`, spec.hidden[i - 1], [spec.hidden[i]]));
  }
  const last = spec.hidden[spec.hidden.length - 1];
  specs.push(linear("out.w", last, [last, spec.outputDim]));
  specs.push(linear("out.b", last, [spec.outputDim]));
  return specs;
}

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

function featureValue(f: Feature, w: Weights, input: tf.Tensor2D): tf.Tensor2D {
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

/** [sin(w_k s), cos(w_k s)] for s: [N, 1], w_k = maxFrequency^(k/(K-1)). */
export function sinusoidal(s: tf.Tensor2D, frequencies: number, maxFrequency: number): tf.Tensor2D {
  const row = Array.from(
    { length: frequencies },
    (_, k) => Math.pow(maxFrequency, frequencies > 1 ? k / (frequencies - 1) : 0),
  );
  return tf.tidy(() => {
    const arg = tf.matMul(s, tf.tensor2d([row]));
    return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as tf.Tensor2D;
  });
}

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or a shared [1, width]),
 * with named views (`params.views()`: autodiff) or the fused op's weights (`params.fused()`).
 */
export function forward(
  spec: NetworkSpec,
  w: Weights,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D> = {},
): tf.Tensor2D {
  if (isFused(w)) return fusedForward(spec, w, x, features);
  let h = dense(x, w["in.x"] as tf.Tensor2D);
  for (const f of spec.features) {
    const input = features[f.name];
    if (!input) throw new Error(`network input "${f.name}" is missing`);
    h = tf.add(h, dense(featureValue(f, w, input), w[`in.${f.name}`] as tf.Tensor2D));
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
  w: Weights,
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
    z = tf.add(z, dense(featureValue(f, w, input), w[`in.${f.name}`] as tf.Tensor2D));
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

/** A network: its spec and its parameters. */
export class Network {
  readonly params: Params;

  /** Initialise from a stream (PyTorch's initialisers) or from saved values. */
  constructor(readonly spec: NetworkSpec, init: Stream | Float32Array) {
    this.params = new Params(paramSpecs(spec), init);
  }

  /** {@link forward} with the given weights (views of `params`, or tensors a gradient is taken against). */
  apply(w: Weights, x: tf.Tensor2D, features: Record<string, tf.Tensor2D> = {}): tf.Tensor2D {
    return forward(this.spec, w, x, features);
  }

  /** {@link forwardJvp}: the output and its directional derivatives along `tangents`. */
  jvp(
    w: Weights,
    x: tf.Tensor2D,
    tangents: tf.Tensor2D[],
    features: Record<string, tf.Tensor2D> = {},
  ): { value: tf.Tensor2D; tangents: tf.Tensor2D[] } {
    return forwardJvp(this.spec, w, x, tangents, features);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** One-hot rows [N, classes] for the given class indices. */
export function oneHot(indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const buf = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) buf[i * classes + indices[i]] = 1;
  return tf.tensor2d(buf, [indices.length, classes]);
}
