/**
 * The network family of the harness, as data: an MLP on x and named conditioning features.
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
import type { ParamSpec } from "./params.ts";

/** Pointwise nonlinearity. */
export type Activation = "relu" | "softplus" | "silu";

/** An input of the network besides x, given to the network under its name. */
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

/**
 * Check a feature's row count m against the n rows of x: n (one per row), 1 (shared by the batch)
 * or a divisor of n (one per group of n / m consecutive rows). Throws naming the feature.
 */
export function checkFeatureRows(f: Feature, m: number, n: number): void {
  if (m === n || (m >= 1 && n % m === 0)) return;
  throw new Error(
    `network input "${f.name}" has ${m} rows; expected ${n} (one per row), 1 (shared) or ` +
      `a divisor of ${n} (one per group of consecutive rows)`,
  );
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
