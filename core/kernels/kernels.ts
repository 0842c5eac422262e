/**
 * Our WebAssembly kernels, instantiated on tfjs-wasm's own memory: a kernel reads and writes
 * tensors where tfjs keeps them (their byte offsets in its heap), so calling one costs a function
 * call, not a copy or a tfjs op. The module is built from `assembly/mlp.ts` (`mlp_wasm.ts` holds
 * the bytes); the relaxed-SIMD build is used where the runtime supports it, the plain-SIMD build
 * otherwise or when asked ({@link selectKernelBuild}), and provenance records which.
 */
import * as tf from "@tensorflow/tfjs";
import { RELAXED_SIMD_WASM, SIMD_WASM } from "./mlp_wasm.ts";
import { decodeBase64 } from "../runtime/base64.ts";

/** The two builds. */
export type KernelBuild = "relaxed-simd" | "simd";

/** Activation codes of the kernels. */
export const ACTIVATION_CODE = { relu: 0, softplus: 1, silu: 2, identity: 3 } as const;

/** Activations whose slope and curvature read sigmoid(z) (kept by `activateWithSigmoid`). */
export function keepsSigmoid(act: keyof typeof ACTIVATION_CODE): boolean {
  return act === "softplus" || act === "silu";
}

/** C[m x n] = init + A[m x k] B[k x n] (row-major; init by mode: 0 zeros, 1 C, 2 the bias row). */
export type Gemm = (
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  mode: number,
  bias: number,
) => void;

/** The module's exports (pointers are byte offsets in tfjs-wasm's heap). */
export interface KernelExports {
  /** C = init + A B (the narrow shapes take paths of their own, with the same bits). */
  gemm: Gemm;
  /** The same by 4 x 8 tiles only: the reference of the narrow paths' bits. */
  gemmTiled: Gemm;
  /** gemm for an A with many zeros (skipped), `scratch` its lists; returns A's nonzero count. */
  gemmSparse(...args: [...Parameters<Gemm>, scratch: number]): number;
  nonZeros(x: number, count: number): number;
  gemmTN(a: number, b: number, c: number, m: number, k: number, n: number, mode: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  sparseRowsGemm(o: number, e: number, v: number, m: number, T: number, d: number): void;
  sparseRowsGemmTN(o: number, dv: number, g: number, m: number, T: number, d: number): void;
  indexRowsGemm(idx: number, e: number, v: number, m: number, d: number): void;
  indexRowsGemmTN(idx: number, dv: number, g: number, m: number, d: number): void;
  colsum(d: number, out: number, m: number, n: number, mode: number): void;
  zero(dst: number, count: number): void;
  activateInto(z: number, h: number, count: number, act: number): void;
  activateBackward(dh: number, z: number, dz: number, count: number, act: number): void;
  activateWithSigmoid(z: number, h: number, sig: number, count: number, act: number): void;
  slopeTimes(dh: number, z: number, sig: number, dz: number, count: number, act: number): void;
  curvatureWithSigmoid(
    g: number,
    u: number,
    z: number,
    sig: number,
    out: number,
    count: number,
    act: number,
  ): void;
  curvatureInto(g: number, u: number, z: number, out: number, count: number, act: number): void;
  mapFloat(x: number, y: number, count: number, fn: number): void;
  /** The bench's ceiling: `iterations` rounds of ten independent madd chains (80 flops a round). */
  maddPeak(iterations: number, mult: number, add: number): number;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    count: number,
    b1: number,
    b1c: number,
    b2: number,
    b2c: number,
    stepSize: number,
    sqrtBc2: number,
    eps: number,
    decay: number,
    decaying: number,
  ): void;
  emaUpdate(avg: number, w: number, count: number, m: number, n: number): void;
}

/** The tfjs-wasm backend internals the kernels need. */
interface WasmBackend {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(id: unknown): { memoryOffset: number; refCount: number } };
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  incRef(dataId: unknown): void;
}

let wanted: KernelBuild | null = null;
let loaded: { build: KernelBuild; memory: WebAssembly.Memory; exports: KernelExports } | null =
  null;

/** Use this build from now on (tests and benchmarks compare the two). */
export function selectKernelBuild(build: KernelBuild | null): void {
  wanted = build;
  loaded = null;
}

/** The tfjs-wasm backend (the kernels run only there). */
export function wasmBackend(): WasmBackend {
  if (tf.getBackend() !== "wasm") {
    throw new Error(`the scorelab kernels need the wasm backend, not ${tf.getBackend()}`);
  }
  return tf.backend() as unknown as WasmBackend;
}

/** The kernels, instantiated once per tfjs-wasm memory. */
export function kernels(): KernelExports {
  const memory = wasmBackend().wasm.asm.memory;
  if (loaded && loaded.memory === memory) return loaded.exports;
  const relaxed = decodeBase64(RELAXED_SIMD_WASM);
  const build: KernelBuild = wanted ??
    (WebAssembly.validate(relaxed as Uint8Array<ArrayBuffer>) ? "relaxed-simd" : "simd");
  const bytes = build === "relaxed-simd" ? relaxed : decodeBase64(SIMD_WASM);
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  loaded = { build, memory, exports: instance.exports as unknown as KernelExports };
  return loaded.exports;
}

/** The build in use (instantiating the kernels if needed). */
export function kernelBuild(): KernelBuild {
  kernels();
  return loaded!.build;
}

/** Byte offset of a tensor's data in the heap. */
export function ptr(t: tf.TensorInfo): number {
  return wasmBackend().dataIdMap.get(t.dataId).memoryOffset;
}

/** A new float32 tensor of this shape on the heap (contents undefined until written). */
export function allocate(shape: number[]): tf.Tensor {
  const info = wasmBackend().makeOutput(shape, "float32");
  // deno-lint-ignore no-explicit-any
  return (tf.engine() as any).makeTensorFromTensorInfo(info);
}

/** A view of a tensor's data in the heap (valid until the heap grows: do not keep it). */
export function heapView(t: tf.TensorInfo): Float32Array {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(wasmBackend().wasm.asm.memory.buffer, ptr(t), size);
}

/** Is `t` the only tensor holding its data (so writing it in place changes nothing else)? */
export function exclusive(t: tf.Tensor): boolean {
  return wasmBackend().dataIdMap.get(t.dataId).refCount === 1;
}

/** One more reference to `t`'s data (released when a tensor holding it is disposed). */
export function incRef(t: tf.Tensor): void {
  wasmBackend().incRef(t.dataId);
}
