/**
 * The network's output and its directional derivatives along input tangents (forward mode), as
 * one differentiable op of the flat parameter buffer computed by our kernels: what exact and sliced
 * score matching need, differentiated once with respect to the weights. The tangents ride along
 * as extra rows, so every layer is one matmul over (1 + K) N rows:
 *
 *   forward   z = h W + b,  h' = act(z);   u_k = t_k W,  t'_k = act'(z) u_k
 *   backward  g_z = g_h' act'(z) + sum_k g_t'_k u_k act''(z),   g_u_k = g_t'_k act'(z),
 *             dW = [h; t]^T [g_z; g_u],  db = sum_rows g_z,  [g_h; g_t] = [g_z; g_u] W^T
 *
 * (the output layer has no activation). Only the weights get a gradient: x and the tangents are
 * data (one computed from the weights is refused), and a network with features is refused (the
 * score-matching networks have none). `Network.jvp` uses it for the fused weights.
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation, NetworkSpec } from "./spec.ts";
import {
  alias,
  at,
  backInput,
  engine,
  type Layout,
  layoutOf,
  tracedFrom,
  weightGradient,
} from "./fused.ts";
import {
  ACTIVATION_CODE,
  allocate,
  heapView,
  keepsSigmoid,
  kernels,
  ptr,
} from "../kernels/kernels.ts";

/** One layer's stacks: its input rows [x or h; tangents], pre-activations [z; u], outputs [h'; t']. */
interface JvpLayer {
  w: string;
  b: string;
  input: tf.Tensor;
  pre: tf.Tensor;
  post: tf.Tensor | null;
  /** sigmoid(z) of the value rows (softplus and silu), for every slope and curvature after. */
  sig: tf.Tensor | null;
}

/** The weight names of each layer, first to last. */
function layerNames(spec: NetworkSpec): [string, string][] {
  return [
    ["in.x", "in.b"],
    ...spec.hidden.slice(1).map((_, i) => [`h${i + 1}.w`, `h${i + 1}.b`] as [string, string]),
    ["out.w", "out.b"],
  ];
}

/** The output s(x) and J v_k for each tangent v_k [N, inputDim] (module doc). */
export function fusedJvp(
  spec: NetworkSpec,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  tangents: tf.Tensor2D[],
): { value: tf.Tensor2D; tangents: tf.Tensor2D[] } {
  if (spec.features.length) {
    throw new Error("the fused forward-mode op takes networks without features (x only)");
  }
  const l = layoutOf(spec);
  if (flat.shape[0] !== l.size) {
    throw new Error(`fused weights: expected ${l.size} parameters, got ${flat.shape[0]}`);
  }
  const [n, d] = x.shape;
  if (d !== spec.inputDim) {
    throw new Error(`x has ${d} columns; the network takes ${spec.inputDim}`);
  }
  for (const [i, t] of [x, ...tangents].entries()) {
    if (i > 0 && (t.shape[0] !== n || t.shape[1] !== d)) {
      throw new Error(`tangent ${i - 1} has shape [${t.shape}]; expected [${n}, ${d}]`);
    }
    if (tracedFrom(t, flat)) {
      throw new Error(
        "x and the tangents of the fused forward-mode op are data; one is computed from the " +
          "weights being differentiated: use the autodiff weights (params.views())",
      );
    }
  }
  const e = engine();
  const recording = e.isTapeOn();
  e.state.kernelDepth++;
  let layers: JvpLayer[];
  let outputs: tf.Tensor2D[];
  try {
    layers = forwardStacks(spec, l, flat, x, tangents);
    outputs = unstack(layers[layers.length - 1].pre, tangents.length + 1, n);
  } finally {
    e.state.kernelDepth--;
  }
  const intermediates = layers.flatMap((q) =>
    [q.input, q.pre, q.post, q.sig].filter((t): t is tf.Tensor => t !== null)
  );
  const unique = [...new Set(intermediates)];
  if (!recording) {
    tf.dispose(unique);
  } else {
    const saved = [...unique.map((t) => tf.keep(t)), alias(flat)];
    e.addTapeNode(
      "ScorelabMlpJvp",
      { flat },
      outputs,
      (dys: tf.Tensor2D[]) => ({
        flat: () => {
          if (engine().isTapeOn()) {
            throw new Error(
              "the fused forward-mode op's weight gradient is first order and this loss " +
                "differentiates it again: use the autodiff weights (params.views())",
            );
          }
          return backwardStacks(spec, l, flat, layers, dys, n);
        },
      }),
      saved,
      {},
    );
  }
  return { value: outputs[0], tangents: outputs.slice(1) };
}

/** The forward pass over the stacked rows [x; t_1; ...; t_K] (module doc). */
function forwardStacks(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  tangents: tf.Tensor2D[],
): JvpLayer[] {
  const k = kernels();
  const n = x.shape[0], d = spec.inputDim, K = tangents.length, rows = (1 + K) * n;
  let input = allocate([rows, d]);
  const stack = heapView(input);
  [x, ...tangents].forEach((t, i) => stack.set(heapView(t), i * n * d));
  const act = ACTIVATION_CODE[spec.activation as Activation];
  const names = layerNames(spec);
  const layers: JvpLayer[] = [];
  names.forEach(([w, b], li) => {
    const flatPtr = ptr(flat);
    const [kIn, nOut] = l.slot.get(w)!.shape;
    const pre = allocate([rows, nOut]);
    // Value rows with the bias, tangent rows without.
    k.gemm(ptr(input), at(l, flatPtr, w), ptr(pre), n, kIn, nOut, 2, at(l, flatPtr, b));
    k.gemm(
      ptr(input) + 4 * n * kIn,
      at(l, flatPtr, w),
      ptr(pre) + 4 * n * nOut,
      K * n,
      kIn,
      nOut,
      0,
      0,
    );
    if (li === names.length - 1) {
      layers.push({ w, b, input, pre, post: null, sig: null });
      return;
    }
    const post = allocate([rows, nOut]);
    const block = 4 * n * nOut;
    const sig = keepsSigmoid(spec.activation) ? allocate([n, nOut]) : null;
    const sigPtr = sig ? ptr(sig) : 0;
    k.activateWithSigmoid(ptr(pre), ptr(post), sigPtr, n * nOut, act);
    for (let i = 1; i <= K; i++) {
      k.slopeTimes(ptr(pre) + i * block, ptr(pre), sigPtr, ptr(post) + i * block, n * nOut, act);
    }
    layers.push({ w, b, input, pre, post, sig });
    input = post;
  });
  return layers;
}

/** The `count` blocks of n rows of a stack as tensors of their own. */
function unstack(stack: tf.Tensor, count: number, n: number): tf.Tensor2D[] {
  const width = stack.shape[1]!;
  const out = Array.from({ length: count }, () => allocate([n, width]) as tf.Tensor2D);
  const all = heapView(stack);
  out.forEach((t, i) => heapView(t).set(all.subarray(i * n * width, (i + 1) * n * width)));
  return out;
}

/** The weight gradient from the gradients of the outputs `dys` (module doc). */
function backwardStacks(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  layers: JvpLayer[],
  dys: tf.Tensor2D[],
  n: number,
): tf.Tensor {
  return tf.tidy(() => {
    const k = kernels();
    const act = ACTIVATION_CODE[spec.activation as Activation];
    const K = dys.length - 1, rows = (1 + K) * n;
    const dflat = allocate([l.size]);
    k.zero(ptr(dflat), l.size);
    const width = dys[0].shape[1];
    let g = allocate([rows, width]);
    const gv = heapView(g);
    dys.forEach((dy, i) => gv.set(heapView(dy), i * n * width));
    for (let li = layers.length - 1; li >= 0; li--) {
      const layer = layers[li];
      const [kIn, nOut] = l.slot.get(layer.w)!.shape;
      const grad = (name: string) => ptr(dflat) + 4 * l.slot.get(name)!.offset;
      weightGradient(layer.input, g, grad(layer.w), rows, kIn, nOut);
      k.colsum(ptr(g), grad(layer.b), n, nOut, 0);
      if (li === 0) break;
      const below = layers[li - 1];
      const gPost = backInput(l, ptr(flat), g, rows, layer.w);
      const gPre = allocate([rows, kIn]);
      const block = 4 * n * kIn;
      const z = ptr(below.pre), sig = below.sig ? ptr(below.sig) : 0;
      k.slopeTimes(ptr(gPost), z, sig, ptr(gPre), n * kIn, act);
      for (let i = 1; i <= K; i++) {
        const off = i * block;
        k.slopeTimes(ptr(gPost) + off, z, sig, ptr(gPre) + off, n * kIn, act);
        k.curvatureWithSigmoid(ptr(gPost) + off, z + off, z, sig, ptr(gPre), n * kIn, act);
      }
      g = gPre;
    }
    return dflat;
  });
}
