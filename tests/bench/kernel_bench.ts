/**
 * (e) The ceiling: 128-bit madds in independent chains with no memory traffic (`maddPeak`), the
 * most this machine's WebAssembly SIMD can do; the GFLOP/s it reaches is the roofline the
 * training steps are measured against on the bench page. Beside it, our SIMD matrix product alone
 * on the seed's largest layer (256 x 128 @ 128 x 128), with nothing around it.
 */
import * as tf from "@tensorflow/tfjs";
import { allocate, kernels, ptr } from "../../core/kernels/kernels.ts";
import "./shared.ts";
import { MADD_PEAK_BENCH, MADD_PEAK_ROUNDS } from "./peak.ts";

const [m, k, n] = [256, 128, 128];
const a = tf.keep(tf.randomNormal([m, k]));
const b = tf.keep(tf.randomNormal([k, n]));
const c = tf.keep(allocate([m, n]));
const g = tf.keep(tf.randomNormal([m, n]));
const ct = tf.keep(allocate([k, n]));
const at = tf.keep(allocate([k, m]));
const kern = kernels();

Deno.bench({
  name: MADD_PEAK_BENCH,
  group: "kernels (roofline)",
  warmup: 200,
  n: 2000,
  fn() {
    kern.maddPeak(MADD_PEAK_ROUNDS, 0.999, 0.001);
  },
});
Deno.bench({
  name: "kernel: gemm 256x128 @ 128x128",
  group: "kernels (roofline)",
  baseline: true,
  warmup: 200,
  n: 2000,
  fn() {
    kern.gemm(ptr(a), ptr(b), ptr(c), m, k, n, 0, 0);
  },
});
Deno.bench({
  name: "kernel: weight gradient 128x256 @ 256x128 (A^T B)",
  group: "kernels (roofline)",
  warmup: 200,
  n: 2000,
  fn() {
    kern.gemmTN(ptr(a), ptr(g), ptr(ct), m, k, n, 0);
  },
});
Deno.bench({
  name: "kernel: weight gradient by transpose + gemm (the fused op's way)",
  group: "kernels (roofline)",
  warmup: 200,
  n: 2000,
  fn() {
    kern.transpose(ptr(a), ptr(at), m, k);
    kern.gemm(ptr(at), ptr(g), ptr(ct), k, m, n, 0, 0);
  },
});
Deno.bench({
  name: "tfjs matMul 256x128 @ 128x128",
  group: "kernels (roofline)",
  warmup: 50,
  n: 500,
  fn() {
    tf.tidy(() => tf.matMul(a, b)).dispose();
  },
});
