/**
 * The MMD's float64 kernel sums in WebAssembly (`assembly/mmd.ts`, bytes in `mmd_wasm.ts`): the
 * same values, bit for bit, as the plain loops of core/metrics/mmd.ts, 1.9x faster (`deno task
 * bench`, group MMD). Each `MmdSums` owns its memory (independent of tfjs), grown to the largest
 * call it has seen.
 */
import { MMD_WASM } from "./mmd_wasm.ts";
import { decodeBase64 } from "../runtime/base64.ts";
import { expConstants } from "./exp_table.ts";

interface MmdExports {
  configure(
    table: number,
    c: number,
    masks: number,
    count: number,
    cMin: number,
    L1: number,
    L2: number,
    inv: number,
    squares: number,
  ): void;
  expInto(src: number, dst: number, count: number): void;
  withinRow(s: number, x: number, n: number, dim: number, i: number): number;
  crossRow(s: number, x: number, i: number, y: number, m: number, dim: number): number;
  kernelRow(x: number, n: number, dim: number, out: number, i: number): void;
}

let compiled: WebAssembly.Module | null = null;
let constants: ReturnType<typeof expConstants> | null = null;

const PAGE = 65536;
/** Where the inputs start (below: the exp table, the bands and the scratch squares). */
const DATA = 8192;

/**
 * The kernel sums of the summed RBF kernel with band coefficients `c` (c_b = 1 / (2 h_b^2)) whose
 * ratios to their minimum are the integers `ratios` (see core/metrics/mmd.ts's kernelOf).
 */
export class MmdSums {
  readonly #memory = new WebAssembly.Memory({ initial: 1 });
  readonly #k: MmdExports;

  constructor(c: Float64Array, ratios: Int32Array) {
    if (c.length !== ratios.length || c.length === 0 || c.length > 64) {
      throw new Error(`MmdSums: ${c.length} coefficients for ${ratios.length} ratios (1-64)`);
    }
    if (ratios.some((r) => !(r >= 1 && r <= 4096))) {
      throw new Error("MmdSums: the ratios must be integers in [1, 4096]");
    }
    compiled ??= new WebAssembly.Module(decodeBase64(MMD_WASM) as Uint8Array<ArrayBuffer>);
    constants ??= expConstants();
    const instance = new WebAssembly.Instance(compiled, {
      env: { memory: this.#memory, exp: Math.exp },
    });
    this.#k = instance.exports as unknown as MmdExports;
    const buf = this.#memory.buffer;
    new Float64Array(buf, 0, 256).set(constants.table);
    new Float64Array(buf, 2048, c.length).set(c);
    new Int32Array(buf, 2560, ratios.length).set(ratios);
    const squares = 4096; // 13 vectors of 16 bytes (ratios up to 2^12)
    const cMin = Math.min(...c);
    const { L1, L2, inv } = constants;
    this.#k.configure(0, 2048, 2560, c.length, cMin, L1, L2, inv, squares);
  }

  /** Room for `bytes` of inputs and outputs from DATA on. */
  #reserve(bytes: number): ArrayBuffer {
    const need = Math.ceil((DATA + bytes) / PAGE) - this.#memory.buffer.byteLength / PAGE;
    if (need > 0) this.#memory.grow(need);
    return this.#memory.buffer as ArrayBuffer;
  }

  /** Copy `values` (as float64) to `offset` bytes past DATA; returns its address. */
  #put(buf: ArrayBuffer, offset: number, values: ArrayLike<number>): number {
    new Float64Array(buf, DATA + offset, values.length).set(values);
    return DATA + offset;
  }

  /** sum over i < j of k(|x_i - x_j|^2), i then j ascending (n rows of dim at x). */
  within(x: ArrayLike<number>, n: number, dim: number): number {
    const buf = this.#reserve(8 * n * dim);
    const px = this.#put(buf, 0, x);
    let s = 0;
    for (let i = 0; i < n; i++) s = this.#k.withinRow(s, px, n, dim, i);
    return s;
  }

  /** sum over all (i, j) of k(|x_i - y_j|^2), i then j ascending. */
  cross(x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, dim: number): number {
    const buf = this.#reserve(8 * (n + m) * dim);
    const px = this.#put(buf, 0, x);
    const py = this.#put(buf, 8 * n * dim, y);
    let s = 0;
    for (let i = 0; i < n; i++) s = this.#k.crossRow(s, px + 8 * i * dim, 0, py, m, dim);
    return s;
  }

  /**
   * The n x n kernel matrix of the rows of x, 0 on the diagonal. Built a row at a time into a
   * JavaScript array: this object's memory never holds more than one row of it.
   */
  matrix(x: ArrayLike<number>, n: number, dim: number): Float64Array {
    const buf = this.#reserve(8 * (n * dim + n));
    const px = this.#put(buf, 0, x);
    const out = DATA + 8 * n * dim;
    const row = new Float64Array(buf, out, n);
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      this.#k.kernelRow(px, n, dim, out, i);
      for (let j = i + 1; j < n; j++) K[i * n + j] = K[j * n + i] = row[j - i - 1];
    }
    return K;
  }

  /** exp of each value (each in [-44, 0]), as the kernel computes it (for the tests). */
  exp(a: ArrayLike<number>): Float64Array {
    const buf = this.#reserve(16 * a.length);
    const src = this.#put(buf, 0, a);
    const dst = DATA + 8 * a.length;
    this.#k.expInto(src, dst, a.length);
    return new Float64Array(buf, dst, a.length).slice();
  }
}
