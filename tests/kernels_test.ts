/**
 * Our WebAssembly kernels: the committed bytes are what the source builds; every kernel against a
 * reference (tfjs's ops, Math in float64) within float32 bounds on random shapes with odd sizes,
 * in both builds; the transcendentals at many points and in their tails; rows that do not depend
 * on the batch they are computed in.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import asc from "assemblyscript/asc";
import { RELAXED_SIMD_WASM, SIMD_WASM } from "../core/kernels/mlp_wasm.ts";
import { MMD_WASM } from "../core/kernels/mmd_wasm.ts";
import { encodeBase64, wasmBuilds } from "../core/kernels/source.ts";
import {
  ACTIVATION_CODE,
  allocate,
  heapView,
  type KernelBuild,
  kernels,
  ptr,
  selectKernelBuild,
} from "../core/kernels/kernels.ts";
import { Network } from "../core/nn/network.ts";
import { ddpmNoisePredictor, scoreNet2d } from "../core/nn/architectures.ts";
import { oneHot } from "../core/nn/network.ts";
import { weightGradient } from "../core/nn/fused.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend } from "./helpers.ts";

const BUILDS: KernelBuild[] = ["relaxed-simd", "simd"];

Deno.test("the committed kernel modules are exactly what the AssemblyScript source builds", async () => {
  const builds = await wasmBuilds(asc);
  const committed: Record<string, string> = { RELAXED_SIMD_WASM, SIMD_WASM, MMD_WASM };
  assert.deepEqual(builds.map((b) => b.name).sort(), Object.keys(committed).sort());
  for (const b of builds) {
    assert.equal(
      encodeBase64(b.bytes),
      committed[b.name],
      `${b.name}: run \`deno task build:kernels\``,
    );
  }
  // Nothing in them may touch tfjs's heap on its own: no data segment, no memory.grow. The MMD
  // sums run on a memory of their own and import Math.exp (their rare exact fallback).
  for (const b of builds) {
    const m = new WebAssembly.Module(b.bytes as Uint8Array<ArrayBuffer>);
    assert.deepEqual(
      WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}:${i.kind}`),
      b.name === "MMD_WASM" ? ["env.exp:function", "env.memory:memory"] : ["env.memory:memory"],
    );
    assert.ok(WebAssembly.Module.customSections(m, "name").length >= 0);
    assert.ok(
      !WebAssembly.Module.exports(m).some((e) => e.kind === "memory"),
      "no exported memory",
    );
  }
});

/** Random float32 data in [-s, s]. */
function rand(n: number, stream: ReturnType<Streams["get"]>, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => s * (2 * stream.uniform() - 1));
}

/** A tensor holding `data` (so kernels can read it by pointer). */
function tensor(data: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(data, shape);
}

const EPS32 = 2 ** -23;

Deno.test("matrix kernels equal the float64 product within float32 reassociation bounds, odd sizes, both builds", async () => {
  await backend();
  const s = new Streams(7).get("gemm");
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (let trial = 0; trial < 40; trial++) {
      const m = 1 + s.int(37), kk = 1 + s.int(37), n = 1 + s.int(37);
      tf.tidy(() => {
        const a = rand(m * kk, s), b = rand(kk * n, s), bias = rand(n, s), g = rand(m * n, s);
        const ta = tensor(a, [m, kk]), tb = tensor(b, [kk, n]), tbias = tensor(bias, [n]);
        const tg = tensor(g, [m, n]);
        const c = allocate([m, n]);
        k.gemm(ptr(ta), ptr(tb), ptr(c), m, kk, n, 2, ptr(tbias));
        const got = heapView(c).slice();
        // C = bias + A B, and its accumulate mode on top of it.
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let exact = bias[j], bound = Math.abs(bias[j]);
            for (let p = 0; p < kk; p++) {
              exact += a[i * kk + p] * b[p * n + j];
              bound += Math.abs(a[i * kk + p] * b[p * n + j]);
            }
            assert.ok(
              Math.abs(got[i * n + j] - exact) <= (kk + 2) * EPS32 * bound,
              `${build} gemm ${m}x${kk}x${n} [${i},${j}]: ${got[i * n + j]} vs ${exact}`,
            );
          }
        }
        k.gemm(ptr(ta), ptr(tb), ptr(c), m, kk, n, 1, 0);
        const twice = heapView(c);
        for (let q = 0; q < m * n; q++) {
          const want = got[q] + (got[q] - bias[q % n]);
          assert.ok(Math.abs(twice[q] - want) <= 4 * (kk + 2) * EPS32 * (Math.abs(want) + kk));
        }
        // C = A^T G (a weight gradient), and the column sums.
        const ctn = allocate([kk, n]);
        k.gemmTN(ptr(ta), ptr(tg), ptr(ctn), m, kk, n, 0);
        const tn = heapView(ctn).slice();
        const cs = allocate([n]);
        k.colsum(ptr(tg), ptr(cs), m, n, 0);
        const sums = heapView(cs).slice();
        for (let i = 0; i < kk; i++) {
          for (let j = 0; j < n; j++) {
            let exact = 0, bound = 0;
            for (let r = 0; r < m; r++) {
              exact += a[r * kk + i] * g[r * n + j];
              bound += Math.abs(a[r * kk + i] * g[r * n + j]);
            }
            assert.ok(
              Math.abs(tn[i * n + j] - exact) <= (m + 2) * EPS32 * bound,
              `${build} gemmTN`,
            );
          }
        }
        for (let j = 0; j < n; j++) {
          let exact = 0, bound = 0;
          for (let r = 0; r < m; r++) {
            [exact, bound] = [exact + g[r * n + j], bound + Math.abs(g[r * n + j])];
          }
          assert.ok(Math.abs(sums[j] - exact) <= (m + 2) * EPS32 * bound, `${build} colsum`);
        }
        // Transpose, exactly.
        const tt = allocate([n, kk]);
        k.transpose(ptr(tb), ptr(tt), kk, n);
        const t = heapView(tt);
        for (let p = 0; p < kk; p++) {
          for (let j = 0; j < n; j++) assert.equal(t[j * kk + p], b[p * n + j]);
        }
      });
    }
  }
  selectKernelBuild(null);
});

Deno.test("gemmSparse (a ReLU's zeros skipped) is gemm bit for bit: densities 0-100%, empty rows, NaN in A, odd sizes, all init modes, both builds", async () => {
  await backend();
  const s = new Streams(8).get("gemm-sparse");
  const bits = (t: tf.Tensor) => new Uint32Array(heapView(t).slice().buffer);
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (let trial = 0; trial < 60; trial++) {
      // Widths past 32 (the 32-column tiles and their tails) and below it (gemm's path).
      const m = 1 + s.int(70), kk = 1 + s.int(70), n = 1 + s.int(100);
      const density = [0, 0.05, 0.2, 0.45, 0.6, 0.7, 1][trial % 7];
      tf.tidy(() => {
        const a = Float32Array.from(
          { length: m * kk },
          () => s.uniform() < density ? s.normal() : s.uniform() < 0.5 ? 0 : -0,
        );
        if (trial % 2 === 1) a.fill(0, 0, Math.min(kk, a.length)); // an empty first row
        if (trial % 12 === 3) a[s.int(m * kk)] = NaN;
        const ta = tensor(a, [m, kk]), tb = tensor(rand(kk * n, s), [kk, n]);
        const tbias = tensor(rand(n, s), [n]);
        const start = rand(m * n, s);
        const scratch = allocate([2 * m * kk + m + 64 + 32 * kk]);
        for (const mode of [0, 1, 2]) {
          const dense = tensor(start, [m, n]), sparse = tensor(start, [m, n]);
          k.gemm(ptr(ta), ptr(tb), ptr(dense), m, kk, n, mode, ptr(tbias));
          const nonzero = k.gemmSparse(
            ptr(ta),
            ptr(tb),
            ptr(sparse),
            m,
            kk,
            n,
            mode,
            ptr(tbias),
            ptr(scratch),
          );
          const tag = `${build} ${m}x${kk}x${n} density ${density} mode ${mode}`;
          assert.deepEqual(bits(sparse), bits(dense), tag);
          if (n >= 32) assert.equal(nonzero, a.filter((v) => v !== 0).length, tag);
        }
      });
    }
  }
  selectKernelBuild(null);
});

Deno.test("weight gradients that lead with a ReLU's zeros (input^T dz or (dz^T input)^T) are the dense ones bit for bit", async () => {
  await backend();
  const s = new Streams(9).get("weight-gradient");
  const bits = (t: tf.Tensor) => new Uint32Array(heapView(t).slice().buffer);
  for (let trial = 0; trial < 24; trial++) {
    const m = 1 + s.int(300), kIn = 1 + s.int(140), nOut = 1 + s.int(140);
    tf.tidy(() => {
      const sparseRows = (count: number, density: number) =>
        Float32Array.from({ length: count }, () => s.uniform() < density ? s.normal() : 0);
      const input = tensor(sparseRows(m * kIn, 0.1 + 0.5 * s.uniform()), [m, kIn]);
      const dz = tensor(sparseRows(m * nOut, 0.1 + 0.5 * s.uniform()), [m, nOut]);
      const dense = allocate([kIn, nOut]);
      weightGradient(input, dz, ptr(dense), m, kIn, nOut);
      for (
        const sparse of [{ input: true, dz: false }, { input: false, dz: true }, {
          input: true,
          dz: true,
        }]
      ) {
        const got = allocate([kIn, nOut]);
        weightGradient(input, dz, ptr(got), m, kIn, nOut, sparse);
        assert.deepEqual(bits(got), bits(dense), `${m}x${kIn}x${nOut} ${JSON.stringify(sparse)}`);
      }
    });
  }
});

Deno.test("one-hot rows by their indices (indexRowsGemm, indexRowsGemmTN) are the sparse-row products bit for bit, odd sizes, both builds", async () => {
  await backend();
  const s = new Streams(10).get("index-rows");
  const bits = (t: tf.Tensor) => new Uint32Array(heapView(t).slice().buffer);
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (let trial = 0; trial < 30; trial++) {
      const m = 1 + s.int(300), T = 1 + s.int(250), d = 1 + s.int(19);
      tf.tidy(() => {
        const idx = Array.from({ length: m }, () => s.int(T));
        const o = new Float32Array(m * T);
        idx.forEach((t, i) => o[i * T + t] = 1);
        const to = tensor(o, [m, T]), ti = tensor(Float32Array.from(idx), [m]);
        const te = tensor(rand(T * d, s), [T, d]), tdv = tensor(rand(m * d, s), [m, d]);
        const g0 = rand(T * d, s);
        const byScan = allocate([m, d]), byIndex = allocate([m, d]);
        k.sparseRowsGemm(ptr(to), ptr(te), ptr(byScan), m, T, d);
        k.indexRowsGemm(ptr(ti), ptr(te), ptr(byIndex), m, d);
        assert.deepEqual(bits(byIndex), bits(byScan), `${build} indexRowsGemm ${m}x${T}x${d}`);
        const gScan = tensor(g0, [T, d]), gIndex = tensor(g0, [T, d]);
        k.sparseRowsGemmTN(ptr(to), ptr(tdv), ptr(gScan), m, T, d);
        k.indexRowsGemmTN(ptr(ti), ptr(tdv), ptr(gIndex), m, d);
        assert.deepEqual(bits(gIndex), bits(gScan), `${build} indexRowsGemmTN ${m}x${T}x${d}`);
      });
    }
  }
  selectKernelBuild(null);
});

Deno.test("sparse-row products (one-hot, two-hot, empty rows) equal the dense products, odd sizes, both builds; oneHot refuses a bad index", async () => {
  await backend();
  const s = new Streams(9).get("sparse");
  const before = tf.memory().numTensors;
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (let trial = 0; trial < 30; trial++) {
      const m = 1 + s.int(23), T = 1 + s.int(41), d = 1 + s.int(19);
      tf.tidy(() => {
        const o = new Float32Array(m * T);
        for (let i = 0; i < m; i++) {
          const kind = s.int(3); // 0: empty row, 1: one-hot, 2: two-hot
          if (kind >= 1) o[i * T + s.int(T)] = 1;
          if (kind === 2) o[i * T + s.int(T)] += s.uniform();
        }
        const e = rand(T * d, s), dv = rand(m * d, s), g0 = rand(T * d, s);
        const to = tensor(o, [m, T]), te = tensor(e, [T, d]), tdv = tensor(dv, [m, d]);
        const sparse = allocate([m, d]), dense = allocate([m, d]);
        k.sparseRowsGemm(ptr(to), ptr(te), ptr(sparse), m, T, d);
        k.gemm(ptr(to), ptr(te), ptr(dense), m, T, d, 0, 0);
        const a = heapView(sparse).slice(), b = heapView(dense).slice();
        a.forEach((v, i) => assert.ok(v === b[i], `${build} sparseRowsGemm ${m}x${T}x${d} [${i}]`));
        const gs = tensor(g0, [T, d]), gd = tensor(g0, [T, d]);
        k.sparseRowsGemmTN(ptr(to), ptr(tdv), ptr(gs), m, T, d);
        k.gemmTN(ptr(to), ptr(tdv), ptr(gd), m, T, d, 1);
        const c = heapView(gs).slice(), q = heapView(gd).slice();
        c.forEach((v, i) =>
          assert.ok(v === q[i], `${build} sparseRowsGemmTN ${m}x${T}x${d} [${i}]`)
        );
      });
    }
  }
  selectKernelBuild(null);
  const rows = tf.tidy(() => oneHot([2, 0, 4], 5).arraySync());
  assert.deepEqual(rows, [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
  for (const bad of [5, -1, 1.5, NaN]) {
    assert.throws(
      () => oneHot([0, bad], 5),
      /oneHot: index .* at row 1 is not an integer in \[0, 5\)/,
    );
  }
  assert.equal(tf.memory().numTensors, before);
});

/** ulps between two float32 values. */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || a === b) return 0;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (v: number) => (v < 0 ? 0x80000000 - v : v);
  return Math.abs(key(i[0]) - key(i[1]));
}

Deno.test("a recorded forward pass keeps sigmoid(z): act(z), dh act'(z) and the act'' term from it are the recomputing kernels' bit for bit, every activation, odd counts, both builds", async () => {
  await backend();
  const s = new Streams(12).get("slope");
  const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
  for (const build of BUILDS) {
    selectKernelBuild(build);
    for (const [name, act] of Object.entries(ACTIVATION_CODE)) {
      for (const count of [1, 3, 4, 7, 130, 1027, 2055]) {
        tf.tidy(() => {
          const z = rand(count, s, 12);
          z[0] = 0;
          if (count > 2) z[2] = -90;
          const [tz, dh, u, out0] = [z, rand(count, s), rand(count, s), rand(count, s)].map((a) =>
            tensor(a, [count])
          );
          const k = kernels();
          const h = allocate([count]), h2 = allocate([count]), sig = allocate([count]);
          k.activateInto(ptr(tz), ptr(h), count, act);
          k.activateWithSigmoid(ptr(tz), ptr(h2), ptr(sig), count, act);
          const label = `${build} ${name}, ${count} values`;
          assert.ok(same(heapView(h2), heapView(h)), `act(z): ${label}`);
          if (name === "softplus" || name === "silu") {
            // The activations run in passes over blocks (inPasses); the one-pass transcendentals
            // (mapFloat) are their reference, bit for bit, across blocks and tails.
            const want = allocate([count]);
            k.mapFloat(ptr(tz), ptr(want), count, 2);
            assert.ok(same(heapView(sig), heapView(want)), `sigmoid(z): ${label}`);
            if (name === "softplus") k.mapFloat(ptr(tz), ptr(want), count, 3);
            else {
              const w = heapView(want);
              z.forEach((v, i) => w[i] = Math.fround(v * w[i]));
            }
            assert.ok(same(heapView(h), heapView(want)), `act(z) against one pass: ${label}`);
          }
          const dz = allocate([count]), want = allocate([count]);
          k.slopeTimes(ptr(dh), ptr(tz), ptr(sig), ptr(dz), count, act);
          k.activateBackward(ptr(dh), ptr(tz), ptr(want), count, act);
          assert.ok(same(heapView(dz), heapView(want)), `dh act'(z): ${label}`);
          const c1 = tensor(heapView(out0).slice(), [count]), c2 = tensor(heapView(out0), [count]);
          k.curvatureWithSigmoid(ptr(dh), ptr(u), ptr(tz), ptr(sig), ptr(c1), count, act);
          k.curvatureInto(ptr(dh), ptr(u), ptr(tz), ptr(c2), count, act);
          assert.ok(same(heapView(c1), heapView(c2)), `act'' term: ${label}`);
        });
      }
    }
  }
  selectKernelBuild(null);
});

Deno.test("exp, log, log1p, sigmoid, softplus: within 2 ulp of float64 Math at many points, tails included", async () => {
  await backend();
  const s = new Streams(8).get("math");
  const points: number[] = [0, -0, 1, -1, 0.5, 1e-8, -1e-8, 1e-30, 88.7, -87.3, 30, -30, 100, -100];
  for (let i = 0; i < 4000; i++) points.push((2 * s.uniform() - 1) * 90);
  for (let i = 0; i < 1000; i++) points.push(Math.exp((2 * s.uniform() - 1) * 80));
  const x = Float32Array.from(points);
  const fns: [string, number, (v: number) => number][] = [
    ["exp", 0, Math.exp],
    ["log", 1, Math.log],
    ["sigmoid", 2, (v) => 1 / (1 + Math.exp(-v))],
    ["softplus", 3, (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)))],
    ["log1p", 4, Math.log1p],
  ];
  for (const build of BUILDS) {
    selectKernelBuild(build);
    for (const [name, code, ref] of fns) {
      tf.tidy(() => {
        const tx = tensor(x, [x.length]);
        const ty = allocate([x.length]);
        kernels().mapFloat(ptr(tx), ptr(ty), x.length, code);
        const y = heapView(ty);
        let worst = 0;
        x.forEach((v, i) => {
          if ((name === "log" || name === "log1p") && v < 0) return;
          const want = Math.fround(ref(v));
          // float32 subnormals are flushed: the results below 2^-126 may be 0.
          if (Math.abs(want) < 1.2e-38) {
            assert.ok(Math.abs(y[i]) < 1.2e-38, `${build} ${name}(${v}) = ${y[i]}, want ${want}`);
            return;
          }
          const u = ulps(y[i], want);
          worst = Math.max(worst, u);
          assert.ok(u <= 2, `${build} ${name}(${v}) = ${y[i]}, float64 gives ${want} (${u} ulp)`);
        });
      });
    }
    // Special values.
    const special = (code: number, v: number) =>
      tf.tidy(() => {
        const tx = tensor(Float32Array.of(v), [1]);
        const ty = allocate([1]);
        kernels().mapFloat(ptr(tx), ptr(ty), 1, code);
        return heapView(ty)[0];
      });
    assert.equal(special(0, 89), Infinity);
    assert.equal(special(0, -200), 0);
    assert.equal(special(0, -Infinity), 0);
    assert.ok(Number.isNaN(special(0, NaN)));
    assert.equal(special(1, 0), -Infinity);
    assert.ok(Number.isNaN(special(1, -1)));
    assert.equal(special(1, Infinity), Infinity);
    assert.equal(special(2, 200), 1);
    assert.equal(special(2, -200), 0);
    assert.equal(special(3, 200), 200);
    assert.equal(special(4, Infinity), Infinity);
  }
  selectKernelBuild(null);
});

Deno.test("e^-|x|, sigmoid's and softplus's own exponential, is exp(-|x|) bit for bit: random bit patterns, the underflow edge, -0, subnormals, infinities, NaN, both builds", async () => {
  await backend();
  // Every float32 was checked once (scratch, 2^32 patterns, both builds: no difference); this
  // samples 200,000 patterns, every sign and exponent, and the edges where the two codes differ.
  const s = new Streams(13).get("bits");
  const bits = new Uint32Array(200_000);
  for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(s.uniform() * 2 ** 32);
  const x = new Float32Array(bits.buffer);
  const edges = [0, -0, 1e-45, -1e-45, 1.1754942e-38, Infinity, -Infinity, NaN, 88.72283, 200];
  const EXP_MIN = Math.fround(-87.33654);
  edges.forEach((v, i) => x[i] = v);
  for (let i = 0; i < 64; i++) {
    // float32 neighbours of the underflow bound and of ln2 multiples near it.
    const u = new Uint32Array(Float32Array.of(EXP_MIN).buffer)[0];
    bits[edges.length + i] = u - 32 + i;
    x[edges.length + 64 + i] = Math.fround(-(126 - (i % 4)) * Math.LN2 + (i - 32) * 1e-6);
  }
  const negAbs = Float32Array.from(x, (v) => -Math.abs(v));
  for (const build of BUILDS) {
    selectKernelBuild(build);
    tf.tidy(() => {
      const [tx, tn] = [x, negAbs].map((a) => tensor(a, [a.length]));
      const got = allocate([x.length]), want = allocate([x.length]);
      kernels().mapFloat(ptr(tx), ptr(got), x.length, 5);
      kernels().mapFloat(ptr(tn), ptr(want), x.length, 0);
      const g = heapView(got), w = heapView(want);
      for (let i = 0; i < x.length; i++) {
        assert.ok(Object.is(g[i], w[i]), `${build} e^-|${x[i]}| = ${g[i]}, exp gives ${w[i]}`);
      }
    });
  }
  selectKernelBuild(null);
});

Deno.test("a network's rows do not depend on the batch: every row of 37 equals the same row computed among 5 or alone", async () => {
  await backend();
  for (const build of BUILDS) {
    selectKernelBuild(build);
    for (
      const spec of [
        ddpmNoisePredictor({ T: 11, timeEmbedDim: 5, hidden: [13, 9] }),
        scoreNet2d([7, 10, 6]),
      ]
    ) {
      const s = new Streams(9).get(`rows-${build}`);
      const net = new Network(spec, s);
      const n = 37;
      const x = s.normals(2 * n);
      const t = Array.from({ length: n }, (_, i) => (i * 5) % 11);
      const out = (rows: number[]) =>
        tf.tidy(() => {
          const xx = tf.tensor2d(rows.flatMap((r) => [x[2 * r], x[2 * r + 1]]), [rows.length, 2]);
          const feats: Record<string, tf.Tensor2D> = spec.features.length
            ? { t: oneHot(rows.map((r) => t[r]), 11) }
            : {};
          const w = net.params.fused();
          return net.apply(w, xx, feats).dataSync() as Float32Array;
        });
      const all = out([...Array(n).keys()]);
      for (const group of [[0, 1, 2, 3, 4], [36], [7, 8, 9, 10, 11], [33, 34, 35, 36]]) {
        const some = out(group);
        group.forEach((r, i) => {
          assert.equal(some[2 * i], all[2 * r], `${build} row ${r}`);
          assert.equal(some[2 * i + 1], all[2 * r + 1], `${build} row ${r}`);
        });
      }
      net.dispose();
    }
  }
  selectKernelBuild(null);
});

Deno.test("the two builds agree to float32 rounding, and the relaxed build is the one used here", async () => {
  await backend();
  const s = new Streams(10).get("builds");
  const net = new Network(scoreNet2d([32, 32]), s);
  const x = tf.tensor2d(s.normals(200), [100, 2]);
  const run = (b: KernelBuild) => {
    selectKernelBuild(b);
    return tf.tidy(() => net.apply(net.params.fused(), x).dataSync() as Float32Array);
  };
  const a = run("relaxed-simd"), b = run("simd");
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= 1e-5 * Math.max(1, Math.abs(v)), `${v} vs ${b[i]}`)
  );
  selectKernelBuild(null);
  const { kernelBuild } = await import("../core/kernels/kernels.ts");
  assert.equal(kernelBuild(), "relaxed-simd", "Deno 2.9's V8 validates relaxed SIMD");
  x.dispose();
  net.dispose();
});

Deno.test("transpose is exact on shapes across its 32-column strips and 4 x 4 blocks (odd edges), both builds", async () => {
  await backend();
  const s = new Streams(9).get("transpose");
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    const shapes = [[1, 1], [4, 4], [3, 33], [33, 3], [256, 128], [128, 256], [130, 97], [5, 200]];
    for (let trial = 0; trial < 20; trial++) shapes.push([1 + s.int(150), 1 + s.int(150)]);
    for (const [rows, cols] of shapes) {
      tf.tidy(() => {
        const src = rand(rows * cols, s);
        const out = allocate([cols, rows]);
        k.transpose(ptr(tensor(src, [rows, cols])), ptr(out), rows, cols);
        const t = heapView(out);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            if (t[c * rows + r] !== src[r * cols + c]) {
              assert.fail(`${build} transpose ${rows}x${cols} at (${r}, ${c})`);
            }
          }
        }
      });
    }
  }
  selectKernelBuild(null);
});

Deno.test("colsum is the float32 sum of each column in order of rows, bit for bit (32-column strips and 4-column tails, both init modes, odd sizes, both builds)", async () => {
  await backend();
  const s = new Streams(13).get("colsum");
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    const shapes = [[1, 1], [3, 31], [7, 32], [256, 33], [256, 128], [5, 101], [130, 2]];
    for (let trial = 0; trial < 10; trial++) shapes.push([1 + s.int(300), 1 + s.int(150)]);
    for (const [m, n] of shapes) {
      for (const mode of [0, 1]) {
        tf.tidy(() => {
          // Magnitudes over six decades, so the order of the adds shows in the bits.
          const d = rand(m * n, s).map((v, i) => v * 10 ** (i % 7 - 3));
          const start = rand(n, s);
          const out = tensor(start, [n]);
          k.colsum(ptr(tensor(d, [m, n])), ptr(out), m, n, mode);
          const got = heapView(out);
          for (let j = 0; j < n; j++) {
            let want = mode === 1 ? start[j] : 0;
            for (let r = 0; r < m; r++) want = Math.fround(want + d[r * n + j]);
            if (!Object.is(got[j], want)) {
              assert.fail(`${build} colsum ${m}x${n} mode ${mode} [${j}]`);
            }
          }
        });
      }
    }
  }
  selectKernelBuild(null);
});

Deno.test("relu and its slope are max(z, 0) and dh (z > 0 ? 1 : 0) bit for bit: -0, +-Infinity, NaN, odd counts, both builds", async () => {
  await backend();
  const s = new Streams(14).get("relu");
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.4e38, -3.4e38];
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (const count of [1, 3, 4, 7, 8, 9, 130, 1027]) {
      tf.tidy(() => {
        const z = rand(count, s, 3);
        for (let i = 0; i < count; i += 3) z[i] = special[(i / 3) % special.length];
        const dh = rand(count, s);
        const h = allocate([count]), dz = allocate([count]);
        k.activateInto(ptr(tensor(z, [count])), ptr(h), count, ACTIVATION_CODE.relu);
        k.activateBackward(
          ptr(tensor(dh, [count])),
          ptr(tensor(z, [count])),
          ptr(dz),
          count,
          ACTIVATION_CODE.relu,
        );
        const [gotH, gotDz] = [heapView(h), heapView(dz)];
        for (let i = 0; i < count; i++) {
          const want = Number.isNaN(z[i]) ? NaN : Math.max(z[i], 0);
          assert.ok(Object.is(gotH[i], want), `${build} relu(${z[i]}): ${gotH[i]}`);
          assert.ok(Object.is(gotDz[i], dh[i] * (z[i] > 0 ? 1 : 0)), `${build} slope at ${z[i]}`);
        }
      });
    }
  }
  selectKernelBuild(null);
});

Deno.test("gemm's narrow paths (2 output columns; 1-4 inner terms) are the tiled gemm bit for bit: every init mode, odd sizes, zeros and -0, both builds", async () => {
  await backend();
  const s = new Streams(21).get("narrow");
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 64, 129];
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    let cases = 0;
    for (const [narrow, other] of [["n", 2], ["k", 1], ["k", 2], ["k", 3], ["k", 4]] as const) {
      for (const m of sizes) {
        for (const free of sizes) {
          const kk = narrow === "n" ? free : other, n = narrow === "n" ? 2 : free;
          for (const mode of [0, 1, 2]) {
            tf.tidy(() => {
              const a = rand(m * kk, s),
                b = rand(kk * n, s),
                bias = rand(n, s),
                c0 = rand(m * n, s);
              // Exact zeros (a ReLU's) and negative zeros in A and in the bias.
              for (let i = 0; i < a.length; i += 3) a[i] = i % 2 ? 0 : -0;
              bias[0] = -0;
              const ta = tensor(a, [m, kk]), tb = tensor(b, [kk, n]), tbias = tensor(bias, [n]);
              const got = tensor(c0, [m, n]), want = tensor(c0, [m, n]);
              k.gemm(ptr(ta), ptr(tb), ptr(got), m, kk, n, mode, ptr(tbias));
              k.gemmTiled(ptr(ta), ptr(tb), ptr(want), m, kk, n, mode, ptr(tbias));
              const g = new Uint32Array(heapView(got).slice().buffer);
              const w = new Uint32Array(heapView(want).slice().buffer);
              assert.deepEqual(g, w, `${build} gemm ${m}x${kk}x${n} mode ${mode}`);
            });
            cases++;
          }
        }
      }
    }
    assert.equal(cases, 5 * sizes.length * sizes.length * 3);
  }
  selectKernelBuild("relaxed-simd");
});

Deno.test("gemm's row tiles (6 or 5, 4, 2 and 1 rows) give each row the bits it gets alone: every init mode, odd sizes, both builds", async () => {
  await backend();
  const s = new Streams(22).get("rows");
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    for (const m of [2, 3, 5, 6, 7, 10, 11, 12, 13, 17]) {
      for (const [kk, n] of [[1, 5], [3, 17], [37, 16], [64, 33], [256, 128], [9, 2]]) {
        for (const mode of [0, 1, 2]) {
          tf.tidy(() => {
            const a = rand(m * kk, s), b = rand(kk * n, s), bias = rand(n, s), c0 = rand(m * n, s);
            const tb = tensor(b, [kk, n]), tbias = tensor(bias, [n]);
            const all = tensor(c0, [m, n]);
            k.gemmTiled(ptr(tensor(a, [m, kk])), ptr(tb), ptr(all), m, kk, n, mode, ptr(tbias));
            const together = new Uint32Array(heapView(all).slice().buffer);
            for (let i = 0; i < m; i++) {
              const row = tensor(c0.slice(i * n, (i + 1) * n), [1, n]);
              const ta = tensor(a.slice(i * kk, (i + 1) * kk), [1, kk]);
              k.gemmTiled(ptr(ta), ptr(tb), ptr(row), 1, kk, n, mode, ptr(tbias));
              assert.deepEqual(
                new Uint32Array(heapView(row).slice().buffer),
                together.slice(i * n, (i + 1) * n),
                `${build} ${m}x${kk}x${n} mode ${mode}: row ${i}`,
              );
            }
          });
        }
      }
    }
  }
  selectKernelBuild("relaxed-simd");
});

Deno.test("maddPeak (the bench's ceiling) runs its ten chains: s = 0.5 s + 1 from 0..9 nears 2 each, both builds", async () => {
  await backend();
  for (const build of BUILDS) {
    selectKernelBuild(build);
    const k = kernels();
    // After r rounds chain c holds 2 + (c - 2) 2^-r: the sum is 20 + 25 2^-r.
    assert.equal(k.maddPeak(0, 0.5, 1), 45, `${build}: no rounds`);
    assert.equal(k.maddPeak(1, 0.5, 1), 32.5, `${build}: one round`);
    assert.equal(k.maddPeak(60, 0.5, 1), 20, `${build}: converged`);
  }
  selectKernelBuild("relaxed-simd");
});
