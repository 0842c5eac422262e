/**
 * The network's forward pass with a hand-written backward pass, as one differentiable op.
 *
 * Autodiff through {@link forward} records every small op (slices of the flat buffer, each bias add
 * and activation, its tape bookkeeping) and differentiates each on its own. On the WASM backend the
 * fewer, larger ops win, so for training (a loss of the network's output, differentiated once) the
 * whole MLP is one `tf.customGrad` op of the flat parameter buffer and x:
 *
 *   forward   z_l = h_{l-1} W_l + b_l (one fused matmul + bias, and the activation fused when it is
 *             relu), h_l = act(z_l);
 *   backward  dz_l = dh_l act'(z_l),  dW_l = h_{l-1}^T dz_l,  db_l = sum_rows dz_l,
 *             dh_{l-1} = dz_l W_l^T,
 *
 * with every weight's gradient written into one flat vector (the layout of `Params`). The first
 * layer takes x and every per-row feature as one concatenated input; a feature shared by the batch
 * ([1, width], the sampler's t) folds into the bias.
 *
 * Limits, each enforced loudly: the gradient is first order (differentiating it again, as exact
 * score matching does, throws: use the autodiff weights `params.views()`), and features are data
 * (a feature computed from the weights being differentiated throws). `Params.fused()` gives the
 * op's weights; `forward` takes either kind.
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation, Feature, NetworkSpec } from "./network.ts";
import { featureWidth, paramSpecs, sinusoidal } from "./network.ts";
import type { Weights } from "./params.ts";

/** The key under which {@link fusedWeights} carries the flat buffer. */
const FLAT = "__flat__";

/** Weights for the fused op: the flat parameter buffer itself (or a tensor a gradient is taken against). */
export function fusedWeights(flat: tf.Tensor1D): Weights {
  // A named weight ("h1.w": every weight name has a dot) cannot be read from these: say so,
  // instead of handing back undefined. Other keys read as on a plain object (tfjs probes `data`
  // when it walks a container to dispose it).
  return new Proxy({ [FLAT]: flat } as Weights, {
    get(target, key) {
      if (typeof key !== "string" || !key.includes(".")) return target[key as string];
      throw new Error(
        `fused weights hold the whole flat buffer, not the named weight "${String(key)}": ` +
          'read named weights with gradient: "autodiff" (or params.views())',
      );
    },
  });
}

/** Are these the fused op's weights? */
export function isFused(w: Weights): boolean {
  return FLAT in w;
}

/** Offsets of a spec's weights in the flat buffer. */
interface Layout {
  slot: Map<string, { offset: number; shape: number[]; size: number }>;
  order: string[];
  size: number;
}

const layouts = new WeakMap<NetworkSpec, Layout>();

function layoutOf(spec: NetworkSpec): Layout {
  let l = layouts.get(spec);
  if (!l) {
    let offset = 0;
    const slot = new Map<string, { offset: number; shape: number[]; size: number }>();
    for (const p of paramSpecs(spec)) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      slot.set(p.name, { offset, shape: p.shape, size });
      offset += size;
    }
    l = { slot, order: [...slot.keys()], size: offset };
    layouts.set(spec, l);
  }
  return l;
}

/** Does `t` depend, through the active gradient tape, on `source`? */
function tracedFrom(t: tf.Tensor, source: tf.Tensor): boolean {
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

/** z -> act(z), and what the backward pass needs. */
function activateForward(a: Activation, z: tf.Tensor2D): { h: tf.Tensor2D; keep: tf.Tensor2D[] } {
  switch (a) {
    case "relu": {
      const h = tf.relu(z);
      return { h, keep: [h] };
    }
    case "softplus":
      // softplus(z) = relu(z) - log(sigmoid(|z|)): the same function (within an ulp, no overflow:
      // sigmoid(|z|) is in [0.5, 1]) at half the cost of tfjs-wasm's scalar Softplus kernel.
      return { h: tf.sub(tf.relu(z), tf.log(tf.sigmoid(tf.abs(z)))), keep: [z] };
    case "silu": {
      const s = tf.sigmoid(z);
      return { h: tf.mul(z, s), keep: [z, s] };
    }
  }
}

/** dh -> dz = dh act'(z), from what {@link activateForward} kept. */
function activateBackward(a: Activation, dh: tf.Tensor2D, keep: tf.Tensor[]): tf.Tensor2D {
  switch (a) {
    case "relu":
      return tf.mul(dh, tf.step(keep[0]));
    case "softplus":
      return tf.mul(dh, tf.sigmoid(keep[0]));
    case "silu": {
      // silu'(z) = s (1 + z (1 - s)), s = sigmoid(z)
      const [z, s] = keep;
      return tf.mul(dh, tf.mul(s, tf.add(1, tf.mul(z, tf.sub(1, s)))));
    }
  }
}

/**
 * The forward pass, recording (in `keep`, in order) every tensor the backward pass reads, and
 * (in `plan`) how to read them.
 */
function run(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  x: tf.Tensor2D,
  features: tf.Tensor2D[],
) {
  const keep: tf.Tensor[] = [];
  const at = (t: tf.Tensor) => keep.push(t) - 1;
  const view = (name: string) => {
    const s = l.slot.get(name)!;
    return tf.slice(flat, s.offset, s.size).reshape(s.shape) as tf.Tensor2D;
  };
  const n = x.shape[0];

  // Feature values (embeddings and small MLPs have weights of their own).
  type FeatureRun = { f: Feature; rows: boolean; value: tf.Tensor2D; steps: number[] };
  const feats: FeatureRun[] = spec.features.map((f, i) => {
    const input = features[i];
    const rows = input.shape[0] === n;
    if (!rows && input.shape[0] !== 1) {
      throw new Error(`network input "${f.name}" has ${input.shape[0]} rows; expected ${n} or 1`);
    }
    const steps: number[] = [];
    let value: tf.Tensor2D;
    switch (f.kind) {
      case "input":
        value = input;
        break;
      case "sinusoidal":
        value = sinusoidal(input, f.frequencies, f.maxFrequency);
        break;
      case "embedding":
        steps.push(at(input));
        value = tf.matMul(input, view(`${f.name}.table`));
        break;
      case "mlp": {
        let h = input;
        for (let k = 0; k + 1 < f.sizes.length; k++) {
          if (k > 0) {
            const a = activateForward(f.activation, h);
            steps.push(...a.keep.map(at));
            h = a.h;
          }
          steps.push(at(h));
          h = tf.fused.matMul({
            a: h,
            b: view(`${f.name}.${k}.w`),
            bias: view(`${f.name}.${k}.b`),
          }) as tf.Tensor2D;
        }
        value = h;
        break;
      }
    }
    return { f, rows, value, steps };
  });

  // First layer: [x, per-row features] W_rows + (b + sum of shared features' rows).
  const rowFeats = feats.filter((r) => r.rows);
  const shared = feats.filter((r) => !r.rows);
  const input0 = rowFeats.length ? tf.concat([x, ...rowFeats.map((r) => r.value)], 1) : x;
  const w0 = rowFeats.length
    ? tf.concat([view("in.x"), ...rowFeats.map((r) => view(`in.${r.f.name}`))], 0)
    : view("in.x");
  let bias0: tf.Tensor = view("in.b");
  for (const r of shared) {
    bias0 = tf.add(bias0, tf.reshape(tf.matMul(r.value, view(`in.${r.f.name}`)), [-1]));
  }
  const layers: { input: number; act: number[] }[] = [];
  let h = input0;
  const ws = [w0, ...spec.hidden.slice(1).map((_, i) => view(`h${i + 1}.w`)), view("out.w")];
  const bs = [
    bias0,
    ...spec.hidden.slice(1).map((_, i) => view(`h${i + 1}.b`)),
    view("out.b"),
  ];
  for (let i = 0; i < ws.length; i++) {
    const input = at(h);
    const last = i === ws.length - 1;
    if (!last && spec.activation === "relu") {
      h = tf.fused.matMul({ a: h, b: ws[i], bias: bs[i], activation: "relu" }) as tf.Tensor2D;
      layers.push({ input, act: [at(h)] });
    } else {
      const z = tf.fused.matMul({ a: h, b: ws[i], bias: bs[i] }) as tf.Tensor2D;
      if (last) {
        h = z;
        layers.push({ input, act: [] });
      } else {
        const a = activateForward(spec.activation, z);
        layers.push({ input, act: a.keep.map(at) });
        h = a.h;
      }
    }
  }
  return { out: h, keep, feats: feats.map((r) => ({ ...r, value: at(r.value) })), layers };
}

/**
 * The network's output for x [N, inputDim] and its features (each [N, width] or [1, width]), as
 * one op of the flat buffer `w` ({@link fusedWeights}) and x, with the backward pass of the
 * module doc.
 */
export function fusedForward(
  spec: NetworkSpec,
  w: Weights,
  x: tf.Tensor2D,
  features: Record<string, tf.Tensor2D>,
): tf.Tensor2D {
  const flat = w[FLAT] as tf.Tensor1D;
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
  // A custom op whose gradients are computed lazily, per input: taking d/dx (a likelihood's
  // divergence, a guidance gradient) skips every weight gradient, and training skips d/dx. (tfjs's
  // customGrad would compute all of them.)
  let r: ReturnType<typeof run> | undefined;
  const firstOrder = () => {
    // deno-lint-ignore no-explicit-any
    if ((tf.engine() as any).isTapeOn()) {
      throw new Error(
        "the fused network gradient is first order, and this loss differentiates it again " +
          "(as exact or sliced score matching do): use the autodiff weights (params.views())",
      );
    }
  };
  // deno-lint-ignore no-explicit-any
  return (tf.engine() as any).runKernelFunc({
    inputs: { flat, x },
    forwardFunc: (_: unknown, save: (t: tf.Tensor[]) => void) => {
      r = run(spec, l, flat, x, feats);
      save([flat, ...r.keep]);
      return r.out;
    },
    backwardsFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const grad = (want: "flat" | "x") => () => {
        firstOrder();
        return backward(spec, l, saved[0] as tf.Tensor1D, saved.slice(1), r!, dy, want);
      };
      return { flat: grad("flat"), x: grad("x") };
    },
  }) as tf.Tensor2D;
}

/** The gradient (d flat or d x) of the module doc, from the tensors the forward pass kept. */
function backward(
  spec: NetworkSpec,
  l: Layout,
  flat: tf.Tensor1D,
  kept: tf.Tensor[],
  r: ReturnType<typeof run>,
  dy: tf.Tensor2D,
  want: "flat" | "x",
): tf.Tensor {
  const view = (name: string) => {
    const s = l.slot.get(name)!;
    return tf.slice(flat, s.offset, s.size).reshape(s.shape) as tf.Tensor2D;
  };
  const grads = new Map<string, tf.Tensor>();
  const dense = (input: tf.Tensor2D, dz: tf.Tensor2D) => ({
    dW: tf.matMul(tf.transpose(input), dz),
    db: tf.sum(dz, 0),
  });
  const back = (dz: tf.Tensor2D, w: tf.Tensor2D) => tf.matMul(dz, tf.transpose(w)) as tf.Tensor2D;

  // Hidden and output layers, last to first.
  const names = [
    ...spec.hidden.slice(1).map((_, i) => `h${i + 1}`),
    "out",
  ];
  let dz = dy;
  for (let i = r.layers.length - 1; i >= 1; i--) {
    if (want === "flat") {
      const { dW, db } = dense(kept[r.layers[i].input] as tf.Tensor2D, dz);
      grads.set(`${names[i - 1]}.w`, dW);
      grads.set(`${names[i - 1]}.b`, db);
    }
    const dh = back(dz, view(`${names[i - 1]}.w`));
    const prev = r.layers[i - 1];
    dz = activateBackward(spec.activation, dh, prev.act.map((k) => kept[k]));
  }

  if (want === "x") return back(dz, view("in.x"));

  // First layer: split the gradient of the stacked weight into its blocks.
  const input0 = kept[r.layers[0].input] as tf.Tensor2D;
  const db0 = tf.sum(dz, 0);
  grads.set("in.b", db0);
  const rowFeats = r.feats.filter((f) => f.rows);
  const dW0 = tf.matMul(tf.transpose(input0), dz);
  const widths = [spec.inputDim, ...rowFeats.map((f) => featureWidth(f.f))];
  const blocks = tf.split(dW0, widths, 0);
  grads.set("in.x", blocks[0]);
  rowFeats.forEach((f, i) => grads.set(`in.${f.f.name}`, blocks[i + 1]));

  // Features: their first-layer block, then their own weights.
  for (const f of r.feats) {
    const value = kept[f.value] as tf.Tensor2D;
    const wf = view(`in.${f.f.name}`);
    let dValue: tf.Tensor2D | undefined;
    if (!f.rows) {
      const dRow = tf.reshape(db0, [1, -1]) as tf.Tensor2D;
      grads.set(`in.${f.f.name}`, tf.matMul(tf.transpose(value), dRow));
      if (f.f.kind === "embedding" || f.f.kind === "mlp") dValue = back(dRow, wf);
    } else if (f.f.kind === "embedding" || f.f.kind === "mlp") {
      dValue = back(dz, wf);
    }
    if (!dValue) continue;
    if (f.f.kind === "embedding") {
      const onehot = kept[f.steps[0]] as tf.Tensor2D;
      grads.set(`${f.f.name}.table`, tf.matMul(tf.transpose(onehot), dValue));
    } else if (f.f.kind === "mlp") {
      // steps: for layer k: [activation keeps (k > 0)..., layer input]
      const perLayer: { act: number[]; input: number }[] = [];
      const actSize = f.f.activation === "silu" ? 2 : 1;
      let s = 0;
      for (let k = 0; k + 1 < f.f.sizes.length; k++) {
        const act = k > 0 ? f.steps.slice(s, s + actSize) : [];
        s += act.length;
        perLayer.push({ act, input: f.steps[s++] });
      }
      let d = dValue;
      for (let k = perLayer.length - 1; k >= 0; k--) {
        const { dW, db } = dense(kept[perLayer[k].input] as tf.Tensor2D, d);
        grads.set(`${f.f.name}.${k}.w`, dW);
        grads.set(`${f.f.name}.${k}.b`, db);
        if (k > 0) {
          const dh = back(d, view(`${f.f.name}.${k}.w`));
          d = activateBackward(f.f.activation, dh, perLayer[k].act.map((i) => kept[i]));
        }
      }
    }
  }
  const dFlat = tf.concat(
    l.order.map((name) => {
      const g = grads.get(name);
      return g ? tf.reshape(g, [-1]) : tf.zeros([l.slot.get(name)!.size]);
    }),
  );
  return dFlat;
}
