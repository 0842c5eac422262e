/**
 * The network's forward pass with a hand-written backward pass, as one differentiable tfjs op,
 * computed by our WebAssembly kernels (`core/kernels/`) in place on tfjs-wasm's heap.
 *
 * Autodiff through {@link forward} records every small op and differentiates each on its own; on
 * the WASM backend an op costs ~10 us whatever its size, so for training (a loss of the network's
 * output, differentiated once) the whole MLP is one op of the flat parameter buffer and x:
 *
 *   forward   z_l = b_l + h_{l-1} W_l (SIMD matmul, the bias as the sums' start), h_l = act(z_l);
 *   backward  dz_l = dh_l act'(z_l),  dW_l = h_{l-1}^T dz_l,  db_l = sum_rows dz_l,
 *             dh_{l-1} = dz_l W_l^T,
 *
 * with every weight's gradient written into one flat vector (the layout of `Params`). The first
 * layer is b + x W_x + sum_f feature_f W_f, one block per input; a feature shared by the batch
 * ([1, width], the sampler's t) folds into the bias, and so does a feature with one row per group
 * of consecutive rows ([G, width], G dividing the batch: the conditions of a batch drawn for many
 * conditions at once), each group with its own bias row, so a group gets the bits it gets alone.
 * A learned embedding fed one-hot (or two-hot) rows skips the zeros of its rows. Every output row
 * is computed by the same operations whatever the batch, so samples do not depend on the batch
 * they were drawn in.
 *
 * Limits, each enforced loudly: the gradient is first order (differentiating it again throws:
 * exact and sliced score matching take J v from the forward-mode op `fused_jvp.ts` instead, or use
 * the autodiff weights `params.views()`), and features are data (a feature computed from the
 * weights being differentiated throws). `Params.fused()` gives the
 * op's weights (`weights.ts`); `Network.apply` takes either kind.
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Activation,
  checkFeatureRows,
  type Feature,
  featureWidth,
  type NetworkSpec,
  paramSpecs,
} from "./spec.ts";
import { SinusoidalRows } from "./sinusoidal.ts";
import { oneHotIndices } from "./one_hot.ts";
import {
  ACTIVATION_CODE,
  allocate,
  heapView,
  incRef,
  keepsSigmoid,
  kernels,
  ptr,
} from "../kernels/kernels.ts";

/** Byte offsets of a spec's weights in the flat buffer, and their shapes. */
export interface Layout {
  slot: Map<string, { offset: number; shape: number[]; size: number }>;
  size: number;
}

const layouts = new WeakMap<NetworkSpec, Layout>();

/** The kept rows of each sinusoidal feature (a memo: the same bits as computing them). */
const sinusoidalRows = new WeakMap<Feature, SinusoidalRows>();

/** The rows of a sinusoidal feature for its input [m, 1]. */
function sinusoidalOf(f: Feature & { kind: "sinusoidal" }, input: tf.Tensor2D): tf.Tensor2D {
  let rows = sinusoidalRows.get(f);
  if (!rows) sinusoidalRows.set(f, rows = new SinusoidalRows(f.frequencies, f.maxFrequency));
  return rows.of(input);
}

/** The layout of a spec's flat buffer (cached per spec). */
export function layoutOf(spec: NetworkSpec): Layout {
  let l = layouts.get(spec);
  if (!l) {
    let offset = 0;
    const slot = new Map<string, { offset: number; shape: number[]; size: number }>();
    for (const p of paramSpecs(spec)) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      slot.set(p.name, { offset, shape: p.shape, size });
      offset += size;
    }
    l = { slot, size: offset };
    layouts.set(spec, l);
  }
  return l;
}

/** Does `t` depend, through the active gradient tape, on `source`? */
export function tracedFrom(t: tf.Tensor, source: tf.Tensor): boolean {
  // deno-lint-ignore no-explicit-any
  const engine = tf.engine() as any;
  if (!engine.isTapeOn()) return false;
  const tape: { inputs: Record<string, tf.Tensor>; outputs: tf.Tensor[] }[] =
    engine.state.activeTape ?? [];
  const producer = new Map<number, (typeof tape)[number]>();
  for (const node of tape) for (const o of node.outputs) producer.set(o.id, node);
  const seen = new Set<number>();
  const stack = [t.id];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === source.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = producer.get(id);
    if (node) { for (const i of Object.values(node.inputs)) if (i) stack.push(i.id); }
  }
  return false;
}

/** One linear layer of a forward pass: its input, pre-activation and output rows. */
interface LayerRun {
  /** Weight and bias names. */
  w: string;
  b: string;
  input: tf.Tensor;
  z: tf.Tensor;
  /** act(z), or z itself for a layer without activation. */
  h: tf.Tensor;
  act: Activation | "identity";
  /** The activation that made `input` (null: data), which tells whether it holds a ReLU's zeros. */
  inputAct: Activation | "identity" | null;
  /** sigmoid(z), kept by a recorded pass of softplus and silu layers for the backward pass. */
  sig: tf.Tensor | null;
}

/** A feature's forward pass: its input, value and (mlp features) layers. */
interface FeatureRun {
  f: Feature;
  /** One row per sample, or rows shared by groups of samples (one group: the whole batch). */
  rows: boolean;
  /** Groups of consecutive samples sharing a row (1: the batch shares one row; 0 with `rows`). */
  groups: number;
  input: tf.Tensor2D;
  value: tf.Tensor;
  layers: LayerRun[];
}

/** Everything a forward pass computed that the backward pass reads. */
interface ForwardRun {
  n: number;
  x: tf.Tensor2D;
  feats: FeatureRun[];
  /** Hidden layers then the output layer; the first takes x and the features. */
  layers: LayerRun[];
  out: tf.Tensor;
}

/** Pointer of a named weight inside the flat buffer. */
export function at(l: Layout, flatPtr: number, name: string): number {
  return flatPtr + 4 * l.slot.get(name)!.offset;
}

/** The fewest output columns for which `gemmSparse` builds its lists (below, it runs gemm). */
const SPARSE_MIN_COLUMNS = 32;

/**
 * C = init + A B (`gemm`'s arguments) where A is a tensor; with `sparse` (A is a ReLU layer's
 * output, or a gradient through one: many exact zeros) by `gemmSparse`, which skips A's zeros
 * and gives the same bits.
 */
function product(
  a: tf.Tensor,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  mode: number,
  bias: number,
  sparse: boolean,
): void {
  const kx = kernels();
  if (!sparse || n < SPARSE_MIN_COLUMNS) return kx.gemm(ptr(a), b, c, m, k, n, mode, bias);
  const scratch = allocate([2 * m * k + m + 64 + 32 * k]);
  kx.gemmSparse(ptr(a), b, c, m, k, n, mode, bias, ptr(scratch));
  scratch.dispose();
}

/**
 * The class indices of one-hot rows made by `oneHot`, as floats on the heap (the index kernels'
 * input), or null for other rows (two-hot, or built by tfjs): those are scanned for their nonzeros.
 */
function indexRows(rows: tf.Tensor): tf.Tensor | null {
  const idx = oneHotIndices(rows);
  if (!idx) return null;
  const t = allocate([idx.length]);
  heapView(t).set(idx);
  return t;
}

/**
 * The number of groups the shared features' rows split the batch of n rows into: 1 when each has
 * one row, else the row count of those with more (all the same).
 */
function sharedGroups(shared: FeatureRun[], n: number): number {
  const counts = [...new Set(shared.map((r) => r.groups).filter((m) => m > 1))];
  if (counts.length > 1) {
    throw new Error(
      `network inputs ${shared.map((r) => `"${r.f.name}" (${r.groups} rows)`).join(", ")}: ` +
        `rows shared by groups must split the ${n} rows the same way`,
    );
  }
  return counts[0] ?? 1;
}

/** Does an activation leave exact zeros in its output and in the gradient through it? */
function zeroes(act: Activation | "identity" | null): boolean {
  return act === "relu";
}

/**
 * h = act(z) of a layer's pre-activation z; with `train` (a recorded pass) softplus and silu also
 * keep sigmoid(z), computed with act(z) from one exponential, for the backward pass.
 */
function activation(
  input: tf.Tensor,
  z: tf.Tensor,
  act: Activation | "identity",
  train: boolean,
): Omit<LayerRun, "w" | "b" | "inputAct"> {
  if (act === "identity") return { input, z, h: z, act, sig: null };
  const h = allocate(z.shape);
  const sig = train && keepsSigmoid(act) ? allocate(z.shape) : null;
  if (sig) kernels().activateWithSigmoid(ptr(z), ptr(h), ptr(sig), z.size, ACTIVATION_CODE[act]);
  else kernels().activateInto(ptr(z), ptr(h), z.size, ACTIVATION_CODE[act]);
  return { input, z, h, act, sig };
}

/** z = bias + h W (rows m), then act; returns the layer run. `inputAct` made h (null: data). */
function linear(
  l: Layout,
  flatPtr: number,
  input: tf.Tensor,
  m: number,
  w: string,
  b: string,
  act: Activation | "identity",
  train: boolean,
  inputAct: Activation | "identity" | null,
): LayerRun {
  const [kIn, nOut] = l.slot.get(w)!.shape;
  const z = allocate([m, nOut]);
  product(input, at(l, flatPtr, w), ptr(z), m, kIn, nOut, 2, at(l, flatPtr, b), zeroes(inputAct));
  return { w, b, inputAct, ...activation(input, z, act, train) };
}

function run(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  features: tf.Tensor2D[],
  train: boolean,
  sharedNames: readonly string[],
): ForwardRun {
  const k = kernels();
  const flatPtr = ptr(flat);
  const n = x.shape[0];
  const feats: FeatureRun[] = spec.features.map((f, i) => {
    const input = features[i];
    const m = input.shape[0];
    checkFeatureRows(f, m, n);
    // One row per row of x, unless the caller shares it with the whole batch: at one row the two
    // coincide, and a shared input must take the shared path there too (batch-size invariance).
    const rows = m === n && !sharedNames.includes(f.name);
    const run: FeatureRun = { f, rows, groups: rows ? 0 : m, input, value: input, layers: [] };
    switch (f.kind) {
      case "input":
        break;
      case "sinusoidal":
        run.value = sinusoidalOf(f, input);
        break;
      case "embedding": {
        const table = flatPtr + 4 * l.slot.get(`${f.name}.table`)!.offset;
        run.value = allocate([m, f.dim]);
        const idx = indexRows(input);
        if (idx) {
          k.indexRowsGemm(ptr(idx), table, ptr(run.value), m, f.dim);
          idx.dispose();
        } else k.sparseRowsGemm(ptr(input), table, ptr(run.value), m, f.classes, f.dim);
        break;
      }
      case "mlp": {
        let h: tf.Tensor = input;
        for (let j = 0; j + 1 < f.sizes.length; j++) {
          const last = j + 2 === f.sizes.length;
          const layer = linear(
            l,
            flatPtr,
            h,
            m,
            `${f.name}.${j}.w`,
            `${f.name}.${j}.b`,
            last ? "identity" : f.activation,
            train,
            j > 0 ? f.activation : null,
          );
          run.layers.push(layer);
          h = layer.h;
        }
        run.value = h;
        break;
      }
    }
    return run;
  });

  // First layer: z0 = (b + sum of shared features' rows) + x W_x + sum of row features' blocks,
  // the shared sum once per group of rows.
  const h0 = spec.hidden[0];
  const shared = feats.filter((r) => !r.rows);
  const groups = sharedGroups(shared, n);
  const inputDim = spec.inputDim;
  const z0 = allocate([n, h0]);
  if (!shared.length) {
    k.gemm(ptr(x), at(l, flatPtr, "in.x"), ptr(z0), n, inputDim, h0, 2, at(l, flatPtr, "in.b"));
  } else {
    const be = allocate([groups, h0]);
    const per = n / groups;
    for (let g = 0; g < groups; g++) {
      const bias = ptr(be) + 4 * g * h0;
      shared.forEach((r, i) => {
        const w = featureWidth(r.f);
        const row = ptr(r.value) + 4 * (r.groups === 1 ? 0 : g) * w;
        const init = i === 0 ? at(l, flatPtr, "in.b") : 0;
        k.gemm(row, at(l, flatPtr, `in.${r.f.name}`), bias, 1, w, h0, i === 0 ? 2 : 1, init);
      });
      k.gemm(
        ptr(x) + 4 * g * per * inputDim,
        at(l, flatPtr, "in.x"),
        ptr(z0) + 4 * g * per * h0,
        per,
        inputDim,
        h0,
        2,
        bias,
      );
    }
  }
  for (const r of feats.filter((r) => r.rows)) {
    k.gemm(ptr(r.value), at(l, flatPtr, `in.${r.f.name}`), ptr(z0), n, featureWidth(r.f), h0, 1, 0);
  }
  const layers: LayerRun[] = [
    { w: "in.x", b: "in.b", inputAct: null, ...activation(x, z0, spec.activation, train) },
  ];
  let h: tf.Tensor = layers[0].h;
  for (let i = 1; i < spec.hidden.length; i++) {
    const layer = linear(
      l,
      flatPtr,
      h,
      n,
      `h${i}.w`,
      `h${i}.b`,
      spec.activation,
      train,
      spec.activation,
    );
    layers.push(layer);
    h = layer.h;
  }
  const out = linear(l, flatPtr, h, n, "out.w", "out.b", "identity", train, spec.activation);
  layers.push(out);
  return { n, x, feats, layers, out: out.z };
}

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or [1, width]), as
 * one op of the flat buffer and x, with the backward pass of the module doc.
 */
export function fusedForward(
  spec: NetworkSpec,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D>,
  shared: readonly string[] = [],
): tf.Tensor2D {
  const e = engine();
  const recording = e.isTapeOn();
  const { l, r, intermediates } = forwardRun(spec, flat, x, features, recording, shared);
  if (!recording) {
    tf.dispose([...intermediates]);
    return r.out as tf.Tensor2D;
  }
  // A custom op whose gradients are computed lazily, per input: taking d/dx (a likelihood's
  // divergence, a guidance gradient) skips every weight gradient, and training skips d/dx.
  const firstOrder = () => {
    if (engine().isTapeOn()) {
      throw new Error(
        "the fused network gradient is first order, and this loss differentiates it again " +
          "(as exact or sliced score matching do): use the autodiff weights (params.views())",
      );
    }
  };
  // The backward pass reads the forward pass's buffers where they are: the tape holds them (and
  // aliases of the inputs, which their owners may dispose first) and disposes them once the
  // gradients are taken. No copies.
  const inputs = [flat, x, ...r.feats.map((f) => f.input)];
  const saved = [...[...intermediates].map((t) => tf.keep(t)), ...inputs.map(alias)];
  e.addTapeNode(
    "ScorelabMlp",
    { flat, x },
    [r.out],
    (dy: tf.Tensor2D) => {
      const grad = (want: "flat" | "x") => () => {
        firstOrder();
        return backward(spec, l, flat, r, dy, want);
      };
      return { flat: grad("flat"), x: grad("x") };
    },
    saved,
    {},
  );
  return r.out as tf.Tensor2D;
}

/**
 * A recorded forward pass outside tfjs's tape, for a training step that differentiates its own
 * loss (`core/nn/regression.ts`): the output, and `weightGradient(dy)`, the flat gradient of
 * sum(dy * out) by the same backward pass (and so the same bits) as the tape node of
 * {@link fusedForward}. Its buffers are tensors of the caller's tidy scope.
 */
export function recordedForward(
  spec: NetworkSpec,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D>,
): { out: tf.Tensor2D; weightGradient(dy: tf.Tensor2D): tf.Tensor1D } {
  if (engine().isTapeOn()) {
    throw new Error("recordedForward is for a step without tfjs's tape: use fusedForward");
  }
  const { l, r } = forwardRun(spec, flat, x, features, true, []);
  return {
    out: r.out as tf.Tensor2D,
    weightGradient: (dy) => backward(spec, l, flat, r, dy, "flat") as tf.Tensor1D,
  };
}

/**
 * The checked inputs and one forward pass (`record`: keep what the backward pass reads), with the
 * set of its buffers other than the output.
 */
function forwardRun(
  spec: NetworkSpec,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D>,
  record: boolean,
  shared: readonly string[],
): { l: Layout; r: ForwardRun; intermediates: Set<tf.Tensor> } {
  const l = layoutOf(spec);
  if (flat.shape[0] !== l.size) {
    throw new Error(`fused weights: expected ${l.size} parameters, got ${flat.shape[0]}`);
  }
  const feats = spec.features.map((f) => {
    const v = features[f.name];
    if (!v) throw new Error(`network input "${f.name}" is missing`);
    if (tracedFrom(v, flat)) {
      throw new Error(
        `network input "${f.name}" is computed from the weights being differentiated; the fused ` +
          "op treats features as data: use the autodiff weights (params.views())",
      );
    }
    return v;
  });
  const e = engine();
  // Inner tfjs ops (the sinusoidal features) are not recorded: the op is one tape node.
  e.state.kernelDepth++;
  let r: ForwardRun;
  try {
    r = run(spec, l, flat, x, feats, record, shared);
  } finally {
    e.state.kernelDepth--;
  }
  const intermediates = new Set<tf.Tensor>();
  for (const f of r.feats) if (f.value !== f.input) intermediates.add(f.value);
  for (const q of [...r.feats.flatMap((f) => f.layers), ...r.layers]) {
    intermediates.add(q.z).add(q.h);
    if (q.sig) intermediates.add(q.sig);
  }
  intermediates.delete(r.out);
  return { l, r, intermediates };
}

/** The tfjs engine's internals the op uses (tape nodes, kernel depth). */
export interface Engine {
  isTapeOn(): boolean;
  state: { kernelDepth: number };
  addTapeNode(
    name: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    // deno-lint-ignore no-explicit-any
    grad: (dy: any) => Record<string, () => tf.Tensor>,
    saved: tf.Tensor[],
    attrs: Record<string, unknown>,
  ): void;
  makeTensorFromDataId(dataId: unknown, shape: number[], dtype: string): tf.Tensor;
}

/** The tfjs engine, with the internals the fused ops use. */
export function engine(): Engine {
  return tf.engine() as unknown as Engine;
}

/** A kept second handle on `t`'s data (no copy): its data lives until both are disposed. */
export function alias(t: tf.Tensor): tf.Tensor {
  incRef(t);
  return tf.keep(engine().makeTensorFromDataId(t.dataId, t.shape, t.dtype));
}

/**
 * dh of a layer's input from dz: dz W^T (W transposed once into scratch); `sparse`: dz is a
 * gradient through a ReLU (exact zeros, skipped).
 */
export function backInput(
  l: Layout,
  flatPtr: number,
  dz: tf.Tensor,
  m: number,
  w: string,
  sparse = false,
): tf.Tensor {
  const k = kernels();
  const [kIn, nOut] = l.slot.get(w)!.shape;
  const wt = allocate([nOut, kIn]);
  k.transpose(at(l, flatPtr, w), ptr(wt), kIn, nOut);
  const dh = allocate([m, kIn]);
  product(dz, ptr(wt), ptr(dh), m, nOut, kIn, 0, 0, sparse);
  return dh;
}

/**
 * dW [kIn x nOut] = input^T dz for `m` rows: the input transposed once into scratch, then the
 * row-major product (the same sums in the same order as `gemmTN`, so the same bits; faster, as
 * both operands are then read along rows). When `input` or `dz` holds a ReLU's zeros
 * (`sparse`), the sparser of the two leads: dW = (dz^T input)^T takes the same products (a b =
 * b a, one rounding each) summed over the rows in the same order, so it gives the same bits. A
 * narrow output (fewer than 8 columns, such as a 2-d output layer's) also leads with dz: its
 * transpose is small and dz^T input is a wide product.
 */
export function weightGradient(
  input: tf.Tensor,
  dz: tf.Tensor,
  out: number,
  m: number,
  kIn: number,
  nOut: number,
  sparse: { input: boolean; dz: boolean } = { input: false, dz: false },
): void {
  const k = kernels();
  const narrow = nOut < 8 && kIn >= SPARSE_MIN_COLUMNS;
  const dzLeads = narrow || sparse.dz && kIn >= SPARSE_MIN_COLUMNS &&
      (!sparse.input || nOut < SPARSE_MIN_COLUMNS ||
        k.nonZeros(ptr(dz), m * nOut) < k.nonZeros(ptr(input), m * kIn));
  if (dzLeads) {
    const dzT = allocate([nOut, m]);
    const dwT = allocate([nOut, kIn]);
    k.transpose(ptr(dz), ptr(dzT), m, nOut);
    product(dzT, ptr(input), ptr(dwT), nOut, m, kIn, 0, 0, true);
    k.transpose(ptr(dwT), out, nOut, kIn);
    tf.dispose([dzT, dwT]);
    return;
  }
  const inputT = allocate([kIn, m]);
  k.transpose(ptr(input), ptr(inputT), m, kIn);
  product(inputT, ptr(dz), out, kIn, m, nOut, 0, 0, sparse.input);
  inputT.dispose();
}

/** dz = dh act'(z). */
function backActivation(dh: tf.Tensor, layer: LayerRun, count: number): tf.Tensor {
  if (layer.act === "identity") return dh;
  const dz = allocate(dh.shape);
  const k = kernels();
  const act = ACTIVATION_CODE[layer.act];
  if (layer.sig) k.slopeTimes(ptr(dh), ptr(layer.z), ptr(layer.sig), ptr(dz), count, act);
  else k.activateBackward(ptr(dh), ptr(layer.z), ptr(dz), count, act);
  return dz;
}

/** The gradient (d flat or d x) of the module doc, from the forward run `r`. */
function backward(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  r: ForwardRun,
  dy: tf.Tensor2D,
  want: "flat" | "x",
): tf.Tensor {
  return tf.tidy(() => {
    const k = kernels();
    const flatPtr = ptr(flat);
    const n = r.n;
    const dflat = want === "flat" ? allocate([l.size]) : null;
    if (dflat) k.zero(ptr(dflat), l.size);
    const g = (name: string) => ptr(dflat!) + 4 * l.slot.get(name)!.offset;
    const dense = (layer: LayerRun, dz: tf.Tensor, m: number) => {
      const [kIn, nOut] = l.slot.get(layer.w)!.shape;
      const sparse = { input: zeroes(layer.inputAct), dz: zeroes(layer.act) };
      weightGradient(layer.input, dz, g(layer.w), m, kIn, nOut, sparse);
      k.colsum(ptr(dz), g(layer.b), m, nOut, 0);
    };
    // dz of layer i is the gradient through its own activation (none for the last layers).
    // Output and hidden layers, last to first.
    let dz: tf.Tensor = dy;
    for (let i = r.layers.length - 1; i >= 1; i--) {
      const layer = r.layers[i];
      if (dflat) dense(layer, dz, n);
      const dh = backInput(l, flatPtr, dz, n, layer.w, zeroes(layer.act));
      const below = r.layers[i - 1];
      dz = backActivation(dh, below, n * below.z.shape[1]!);
    }
    const dzSparse = zeroes(r.layers[0].act);
    if (want === "x") return backInput(l, flatPtr, dz, n, "in.x", dzSparse);

    // First layer: its bias, x's block and each feature's block.
    const h0 = spec.hidden[0];
    k.colsum(ptr(dz), g("in.b"), n, h0, 0);
    weightGradient(r.x, dz, g("in.x"), n, spec.inputDim, h0, { input: false, dz: dzSparse });
    // A shared row saw the column sums of dz over the rows it was added to the bias of: all rows
    // (the bias's own gradient) or its group's.
    const groups = sharedGroups(r.feats.filter((f) => !f.rows), n);
    const groupSums = groups > 1 ? allocate([groups, h0]) : null;
    for (let j = 0; groupSums && j < groups; j++) {
      const per = n / groups;
      k.colsum(ptr(dz) + 4 * j * per * h0, ptr(groupSums) + 4 * j * h0, per, h0, 0);
    }
    for (const f of r.feats) {
      const name = `in.${f.f.name}`;
      const w = featureWidth(f.f);
      const m = f.rows ? n : f.groups;
      const sums = f.rows ? null : m > 1 ? ptr(groupSums!) : g("in.b");
      if (!sums) weightGradient(f.value, dz, g(name), n, w, h0, { input: false, dz: dzSparse });
      else k.gemmTN(ptr(f.value), sums, g(name), m, w, h0, 0);
      if (f.f.kind !== "embedding" && f.f.kind !== "mlp") continue;
      let dValue: tf.Tensor;
      if (!sums) dValue = backInput(l, flatPtr, dz, n, name, dzSparse);
      else if (m > 1) dValue = backInput(l, flatPtr, groupSums!, m, name);
      else {
        const db = allocate([1, h0]);
        k.colsum(ptr(dz), ptr(db), n, h0, 0);
        dValue = backInput(l, flatPtr, db, 1, name);
      }
      if (f.f.kind === "embedding") {
        const idx = indexRows(f.input);
        const table = g(`${f.f.name}.table`);
        if (idx) k.indexRowsGemmTN(ptr(idx), ptr(dValue), table, m, f.f.dim);
        else k.sparseRowsGemmTN(ptr(f.input), ptr(dValue), table, m, f.f.classes, f.f.dim);
        continue;
      }
      let d = dValue;
      for (let j = f.layers.length - 1; j >= 0; j--) {
        const layer = f.layers[j];
        dense(layer, d, m);
        if (j > 0) {
          const dh = backInput(l, flatPtr, d, m, layer.w, zeroes(layer.act));
          const below = f.layers[j - 1];
          d = backActivation(dh, below, m * below.z.shape[1]!);
        }
      }
    }
    return dflat!;
  });
}
