// The MMD kernel sums of scorelab, in AssemblyScript (float64, plain SIMD: no relaxed ops, so no
// fused multiply-add), built by `deno task build:kernels` into core/kernels/mmd_wasm.ts.
//
// Bit for bit the float64 JavaScript they replace: every pair's kernel value is computed by the
// same IEEE operations in the same order (exp(-d2 c_min) correctly rounded, then the bands as
// products of its repeated squares), and the sums run over the pairs in the same order, one
// scalar addition per pair. Two pairs share a vector only where their values are independent.
//
// exp: the JavaScript engine's Math.exp is correctly rounded (V8's ieee754.cc draws on LLVM
// libc; checked against exact rational bounds in tests/mmd_kernel_test.ts), so any correctly
// rounded exp is the same function. Here exp(a) is computed to about 2^-68 relative as a
// double-double (a = (k/128) ln 2 + r, 2^(k/128) from a table of hi + lo pairs, a degree-6
// polynomial for exp(r) - 1), and the result is returned only when hi + lo +- 2^-62 round to the
// same double; otherwise (about 1 in 500 values) the imported Math.exp gives it. So the value is
// the correctly rounded one either way.
//
// Memory is the caller's: the exp table at `table` (128 hi then 128 lo, float64), points as
// float64 rows, bands as float64 coefficients c_b = 1 / (2 h_b^2) and int32 bit masks r_b (the
// integer ratio c_b / c_min whose set bits name the squares multiplied, lowest first).

@external("env", "exp")
declare function mathExp(a: f64): f64;

const CUTOFF: f64 = 40;
// exp(a) for a below this is never used (its pair or band is cut); clamping keeps |k| < 2^13,
// so k * L1 is exact.
const FLOOR: f64 = -44;
const E: f64 = 2.168404344971009e-19; // 2^-62: the margin of the rounding test
const TINY: f64 = 1e-150; // squares and products below it are clamped (see kernel2)

// The kernel parameters of the current call (module globals, set by `configure`; no allocation).
let gTable: usize = 0;
let gC: usize = 0;
let gMasks: usize = 0;
let gCount: i32 = 0;
let gCMin: f64 = 0;
let gL1: f64 = 0;
let gL2: f64 = 0;
let gInv: f64 = 0;
let gSquares: usize = 0;
let gTopBit: i32 = 0;

// @ts-ignore: decorator
@inline function v(x: f64): v128 {
  return f64x2.splat(x);
}

// The error e of s = fl(a + b): s + e == a + b exactly (Knuth's TwoSum).
// @ts-ignore: decorator
@inline function twoSumLow(a: v128, b: v128, s: v128): v128 {
  const bb = f64x2.sub(s, a);
  return f64x2.add(f64x2.sub(a, f64x2.sub(s, bb)), f64x2.sub(b, bb));
}

// The high part of x split for an exact product (Veltkamp, 2^27 + 1).
// @ts-ignore: decorator
@inline function splitHigh(x: v128): v128 {
  const c = f64x2.mul(v(134217729), x);
  return f64x2.sub(c, f64x2.sub(c, x));
}

/**
 * exp(a) of two lanes, correctly rounded, for a in [FLOOR, 0] (the caller clamps). L1 + L2 is
 * ln2 / 128 (L1 with 40 significant bits), inv = 128 / ln 2.
 */
function exp2Lanes(a: v128, table: usize, L1: f64, L2: f64, inv: f64): v128 {
  const k = f64x2.nearest(f64x2.mul(a, v(inv)));
  const m = f64x2.floor(f64x2.mul(k, v(0.0078125)));
  const j = f64x2.sub(k, f64x2.mul(m, v(128)));
  // r = a - k ln2/128 as rh + rl: a - k L1 is exact (Sterbenz), k L2 is ~1e-11 at most.
  const t = f64x2.sub(a, f64x2.mul(k, v(L1)));
  const u = f64x2.neg(f64x2.mul(k, v(L2)));
  const rh = f64x2.add(t, u);
  const rl = twoSumLow(t, u, rh);
  // exp(r) - 1 = rh + (rl + q), q = rh^2 (1/2 + rh/6 + rh^2/24 + rh^3/120 + rh^4/720)
  let q = f64x2.add(v(1.0 / 120.0), f64x2.mul(rh, v(1.0 / 720.0)));
  q = f64x2.add(v(1.0 / 24.0), f64x2.mul(rh, q));
  q = f64x2.add(v(1.0 / 6.0), f64x2.mul(rh, q));
  q = f64x2.add(v(0.5), f64x2.mul(rh, q));
  q = f64x2.mul(f64x2.mul(rh, rh), q);
  const s1 = f64x2.add(rl, q);
  const sh = f64x2.add(rh, s1);
  const sl = twoSumLow(rh, s1, sh);
  // 2^(j/128) = Th + Tl
  const j0 = <usize>(<i32>f64x2.extract_lane(j, 0)) << 3;
  const j1 = <usize>(<i32>f64x2.extract_lane(j, 1)) << 3;
  const Th = f64x2.replace_lane(v(load<f64>(table + j0)), 1, load<f64>(table + j1));
  const Tl = f64x2.replace_lane(v(load<f64>(table + 1024 + j0)), 1, load<f64>(table + 1024 + j1));
  // T (1 + sh + sl) = Th + [Th sh] + (Tl + Tl sh + Th sl), Th sh exact by Dekker's product
  const p = f64x2.mul(Th, sh);
  const th = splitHigh(Th), tt = f64x2.sub(Th, th);
  const hh = splitHigh(sh), hl = f64x2.sub(sh, hh);
  let pe = f64x2.add(f64x2.sub(f64x2.mul(th, hh), p), f64x2.mul(th, hl));
  pe = f64x2.add(f64x2.add(pe, f64x2.mul(tt, hh)), f64x2.mul(tt, hl));
  const rest = f64x2.add(f64x2.add(f64x2.add(pe, Tl), f64x2.mul(Tl, sh)), f64x2.mul(Th, sl));
  const wh = f64x2.add(p, rest);
  const wl = twoSumLow(p, rest, wh);
  const hi = f64x2.add(Th, wh);
  const lo = f64x2.add(f64x2.add(f64x2.sub(Th, hi), wh), wl);
  const up = f64x2.add(hi, f64x2.add(lo, v(E)));
  const down = f64x2.add(hi, f64x2.sub(lo, v(E)));
  // 2^m, m >= -64: exact scaling of a normal number
  const mi = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(m));
  const scale = i64x2.shl(i64x2.add(mi, i64x2.splat(1023)), 52);
  let y = f64x2.mul(up, scale);
  const ok = f64x2.eq(up, down);
  if (!i64x2.extract_lane(ok, 0)) y = f64x2.replace_lane(y, 0, mathExp(f64x2.extract_lane(a, 0)));
  if (!i64x2.extract_lane(ok, 1)) y = f64x2.replace_lane(y, 1, mathExp(f64x2.extract_lane(a, 1)));
  return y;
}

/** exp of `count` float64 values (each in [-44, 0]) from `src` into `dst` (for the tests). */
export function expInto(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 2) {
    const a = f64x2.replace_lane(v(load<f64>(src + (<usize>i << 3))), 1, i + 1 < count ? load<f64>(src + (<usize>i << 3), 8) : 0);
    const y = exp2Lanes(a, gTable, gL1, gL2, gInv);
    store<f64>(dst + (<usize>i << 3), f64x2.extract_lane(y, 0));
    if (i + 1 < count) store<f64>(dst + (<usize>i << 3), f64x2.extract_lane(y, 1), 8);
  }
}

// The summed kernel k(d2) of two lanes (see core/metrics/mmd.ts):
//   0 where d2 c_min >= 40; else sum over bands b (in order) of the product of the squares
//   e^(2^i), i in the set bits of r_b lowest first, where e = exp(-d2 c_min); a band with
//   d2 c_b >= 40 adds nothing.
// @ts-ignore: decorator
@inline function kernel2(d2: v128): v128 {
  const a = f64x2.mul(f64x2.neg(d2), v(gCMin));
  let e = exp2Lanes(f64x2.pmax(a, v(FLOOR)), gTable, gL1, gL2, gInv);
  // Values below TINY never reach the sum (a used band's product exceeds e^-40, and so does each
  // of its factors): clamping there keeps the cut bands out of the slow subnormal range.
  v128.store(gSquares, e);
  for (let i = 1; i <= gTopBit; i++) {
    e = f64x2.pmax(f64x2.mul(e, e), v(TINY));
    v128.store(gSquares + (<usize>i << 4), e);
  }
  let k = v(0);
  for (let band = 0; band < gCount; band++) {
    const mask = load<i32>(gMasks + (<usize>band << 2));
    let rest = mask & (mask - 1);
    let p = v128.load(gSquares + (<usize>ctz(mask) << 4));
    while (rest != 0) {
      p = f64x2.pmax(f64x2.mul(p, v128.load(gSquares + (<usize>ctz(rest) << 4))), v(TINY));
      rest &= rest - 1;
    }
    const keep = f64x2.lt(f64x2.mul(d2, v(load<f64>(gC + (<usize>band << 3)))), v(CUTOFF));
    k = f64x2.add(k, v128.and(p, keep));
  }
  return v128.and(k, f64x2.lt(f64x2.mul(d2, v(gCMin)), v(CUTOFF)));
}

// |x_i - x_j|^2 for rows i of x and j, j + 1 of y (lane 1 repeats j when `pair` is false).
// @ts-ignore: decorator
@inline function dist2(x: usize, i: i32, y: usize, j: i32, dim: i32, pair: bool): v128 {
  const xi = x + (<usize>(i * dim) << 3);
  const y0 = y + (<usize>(j * dim) << 3);
  const y1 = pair ? y0 + (<usize>dim << 3) : y0;
  let d2 = v(0);
  for (let d = 0; d < dim; d++) {
    const off = <usize>d << 3;
    const yy = f64x2.replace_lane(v(load<f64>(y0 + off)), 1, load<f64>(y1 + off));
    const diff = f64x2.sub(v(load<f64>(xi + off)), yy);
    d2 = d == 0 ? f64x2.mul(diff, diff) : f64x2.add(d2, f64x2.mul(diff, diff));
  }
  return d2;
}

/**
 * Set the kernel of the following calls: the exp table and constants, the bands (count
 * coefficients c_b at c, int32 masks at masks), c_min, and 16 * 13 bytes of scratch at squares.
 */
export function configure(table: usize, c: usize, masks: usize, count: i32, cMin: f64, L1: f64, L2: f64, inv: f64, squares: usize): void {
  gTable = table;
  gC = c;
  gMasks = masks;
  gCount = count;
  gCMin = cMin;
  gL1 = L1;
  gL2 = L2;
  gInv = inv;
  gSquares = squares;
  let all = 0;
  for (let b = 0; b < count; b++) all |= load<i32>(masks + (<usize>b << 2));
  gTopBit = 31 - clz(all);
}

// s + k(pair j) [+ k(pair j + 1)], one scalar addition per pair, in order.
// @ts-ignore: decorator
@inline function addPairs(s: f64, x: usize, i: i32, y: usize, j: i32, end: i32, dim: i32): f64 {
  const pair = j + 1 < end;
  const k = kernel2(dist2(x, i, y, j, dim, pair));
  s += f64x2.extract_lane(k, 0);
  if (pair) s += f64x2.extract_lane(k, 1);
  return s;
}

// The sums are taken a row at a time: V8 runs a module's first calls in its baseline compiler and
// swaps in optimized code only between calls, so one long call would stay slow.

/** s + sum over j > i (ascending) of k(|x_i - x_j|^2), rows of `dim` float64 at x. */
export function withinRow(s: f64, x: usize, n: i32, dim: i32, i: i32): f64 {
  for (let j = i + 1; j < n; j += 2) s = addPairs(s, x, i, x, j, n, dim);
  return s;
}

/** s + sum over j (ascending) of k(|x_i - y_j|^2). */
export function crossRow(s: f64, x: usize, i: i32, y: usize, m: i32, dim: i32): f64 {
  for (let j = 0; j < m; j += 2) s = addPairs(s, x, i, y, j, m, dim);
  return s;
}

/** out[j - i - 1] = k(|x_i - x_j|^2) for j = i + 1 .. n - 1 (row i of the kernel matrix, upper part). */
export function kernelRow(x: usize, n: i32, dim: i32, out: usize, i: i32): void {
  for (let j = i + 1; j < n; j += 2) {
    const pair = j + 1 < n;
    const k = kernel2(dist2(x, i, x, j, dim, pair));
    const at = out + (<usize>(j - i - 1) << 3);
    store<f64>(at, f64x2.extract_lane(k, 0));
    if (pair) store<f64>(at, f64x2.extract_lane(k, 1), 8);
  }
}
