/**
 * `deno task test:exhaustive`: every float32 x (2^32 bit patterns) through the kernels' e^-|x|
 * (sigmoid's and softplus's own exponential, `mapFloat` fn 5) against their general exp of -|x|
 * (fn 0), bit for bit, NaN payloads included, in both builds. The unit test samples 200,000
 * patterns; this is the whole set (~30 s a build). Exit 1 on any difference.
 */
import { initBackend } from "../../core/runtime/backend.ts";
import {
  allocate,
  kernels,
  ptr,
  selectKernelBuild,
  wasmBackend,
} from "../../core/kernels/kernels.ts";

await initBackend();
const N = 1 << 22;
const [x, negAbs, got, want] = [0, 1, 2, 3].map(() => allocate([N]));
let failed = false;
for (const build of ["relaxed-simd", "simd"] as const) {
  selectKernelBuild(build);
  const k = kernels();
  const t0 = performance.now();
  let differences = 0;
  for (let start = 0; start < 2 ** 32; start += N) {
    const heap = wasmBackend().wasm.asm.memory.buffer;
    const xs = new Uint32Array(heap, ptr(x), N), ns = new Uint32Array(heap, ptr(negAbs), N);
    for (let i = 0; i < N; i++) {
      xs[i] = start + i;
      ns[i] = (start + i) | 0x80000000; // -|x|: the sign bit set
    }
    k.mapFloat(ptr(x), ptr(got), N, 5);
    k.mapFloat(ptr(negAbs), ptr(want), N, 0);
    const g = new Uint32Array(heap, ptr(got), N), w = new Uint32Array(heap, ptr(want), N);
    for (let i = 0; i < N; i++) {
      if (g[i] === w[i]) continue;
      if (differences++ < 5) {
        console.error(
          `${build}: x bits ${(start + i).toString(16)}: e^-|x| bits ${g[i].toString(16)}, ` +
            `exp(-|x|) bits ${w[i].toString(16)}`,
        );
      }
    }
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${build}: 2^32 patterns, ${differences} differences (${s} s)`);
  failed ||= differences > 0;
}
selectKernelBuild(null);
if (failed) Deno.exit(1);
