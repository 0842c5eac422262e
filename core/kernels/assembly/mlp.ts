// The MLP kernels of scorelab, in AssemblyScript, built by `deno task build:kernels` into
// core/kernels/mlp_wasm.ts (relaxed-SIMD and plain-SIMD builds). The module imports tfjs-wasm's
// memory: every pointer is a byte offset of a float32 tensor or scratch buffer in that heap, so
// the kernels read and write tensors in place, without copies.
//
// Determinism: every output element is computed by the same sequence of operations whatever the
// number of rows (the batch) and wherever it falls in the SIMD tiling: sums run over their index
// in order, and the tails of rows and columns go through the same vector code on partly filled
// vectors. A sample's bytes therefore never depend on the batch it was computed in.
//
// Nothing here allocates: no data segment, no runtime, no memory.grow.

// --- helpers ------------------------------------------------------------------------------------

// a * b + c: fused (one rounding) in the relaxed-SIMD build where the CPU has FMA, else two.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// The bytes of v picked by idx (gemmSparse's packing; the 0x80 lanes are never read): pshufb
// itself in the relaxed build, where out-of-range lanes are the hardware's choice.
// @ts-ignore: decorator
@inline function pick(v: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(v, idx);
  return i8x16.swizzle(v, idx);
}

// The 32 floats at p from eight vectors (a 32-column strip of an output row).
// @ts-ignore: decorator
@inline function store32(
  p: usize, s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128, s6: v128, s7: v128,
): void {
  v128.store(p, s0);
  v128.store(p, s1, 16);
  v128.store(p, s2, 32);
  v128.store(p, s3, 48);
  v128.store(p, s4, 64);
  v128.store(p, s5, 80);
  v128.store(p, s6, 96);
  v128.store(p, s7, 112);
}

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// The first `count` (1-3) floats at `p` in the low lanes, zeros above.
// @ts-ignore: decorator
@inline function loadPart(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// Store the low `count` (1-3) lanes of v at `p`.
// @ts-ignore: decorator
@inline function storePart(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Initial value of output row segment [j, j+4) for gemm's init mode:
// 0 zeros, 1 the output's own values (accumulate), 2 the bias row.
// @ts-ignore: decorator
@inline function initAt(mode: i32, c: usize, bias: usize, j: i32): v128 {
  if (mode == 1) return v128.load(c);
  if (mode == 2) return v128.load(at(bias, j));
  return f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function initPart(mode: i32, c: usize, bias: usize, j: i32, count: i32): v128 {
  if (mode == 1) return loadPart(c, count);
  if (mode == 2) return loadPart(at(bias, j), count);
  return f32x4.splat(0);
}

// --- matrix products ----------------------------------------------------------------------------

/**
 * C[m x n] = init + A[m x k] B[k x n], all row-major; init by `mode`: 0 zeros, 1 C itself
 * (accumulate), 2 the row `bias[n]`. C[i][j] = init + sum_{p=0}^{k-1} A[i][p] B[p][j], the sum
 * taken in order of p with one madd per term.
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  if (n == 2) gemmTwoColumns(a, b, c, m, k, mode, bias);
  else if (k >= 1 && k <= 4) gemmSmallK(a, b, c, m, k, n, mode, bias);
  else gemmTiled(a, b, c, m, k, n, mode, bias);
}

/** gemm by 6 x 8 (relaxed) or 5 x 8 (plain) and 4 x 8 tiles (any shape): the general path, and the reference of the others' bits. */
export function gemmTiled(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  let i = 0;
  // The widest tile whose sums stay in registers first (see gemmTile8).
  if (ASC_FEATURE_RELAXED_SIMD) for (; i + 6 <= m; i += 6) gemmRows6(a, b, c, i, k, n, mode, bias);
  else for (; i + 5 <= m; i += 5) gemmRows5(a, b, c, i, k, n, mode, bias);
  for (; i + 4 <= m; i += 4) gemmRows4(a, b, c, i, k, n, mode, bias);
  if (i + 2 <= m) {
    gemmRows2(a, b, c, i, k, n, mode, bias);
    i += 2;
  }
  for (; i < m; i++) gemmRow1(a, b, c, i, k, n, mode, bias, 0);
}

// Rows i and i + 1 of gemm (a weight gradient of a 2-d input or output: two rows in all) by 2 x 16
// tiles, eight sums in flight; columns past the last full tile as gemmRow1 does them.
function gemmRows2(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  const a0 = at(a, i * k), a1 = at(a, (i + 1) * k);
  const c0 = at(c, i * n), c1 = at(c, (i + 1) * n);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let s00 = initAt(mode, at(c0, j), bias, j), s01 = initAt(mode, at(c0, j + 4), bias, j + 4);
    let s02 = initAt(mode, at(c0, j + 8), bias, j + 8), s03 = initAt(mode, at(c0, j + 12), bias, j + 12);
    let s10 = initAt(mode, at(c1, j), bias, j), s11 = initAt(mode, at(c1, j + 4), bias, j + 4);
    let s12 = initAt(mode, at(c1, j + 8), bias, j + 8), s13 = initAt(mode, at(c1, j + 12), bias, j + 12);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
      const off = <usize>p << 2;
      let x = v128.load32_splat(a0 + off);
      s00 = madd(x, b0, s00);
      s01 = madd(x, b1, s01);
      s02 = madd(x, b2, s02);
      s03 = madd(x, b3, s03);
      x = v128.load32_splat(a1 + off);
      s10 = madd(x, b0, s10);
      s11 = madd(x, b1, s11);
      s12 = madd(x, b2, s12);
      s13 = madd(x, b3, s13);
      bp += <usize>n << 2;
    }
    v128.store(at(c0, j), s00);
    v128.store(at(c0, j + 4), s01);
    v128.store(at(c0, j + 8), s02);
    v128.store(at(c0, j + 12), s03);
    v128.store(at(c1, j), s10);
    v128.store(at(c1, j + 4), s11);
    v128.store(at(c1, j + 8), s12);
    v128.store(at(c1, j + 12), s13);
  }
  if (j < n) {
    gemmRow1(a, b, c, i, k, n, mode, bias, j);
    gemmRow1(a, b, c, i + 1, k, n, mode, bias, j);
  }
}

// gemm for 1 <= k <= 4 (a layer fed by x, or a gradient from a narrow output): columns outer and
// rows inner, so B's k x 8 block and the bias stay in registers while the rows stream by. The
// same madds per element in the same order as gemmTiled.
function gemmSmallK(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  const rowBytes = <usize>n << 2;
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const bp = at(b, j);
    const b00 = v128.load(bp), b01 = v128.load(bp, 16);
    const b10 = k > 1 ? v128.load(bp + rowBytes) : zero, b11 = k > 1 ? v128.load(bp + rowBytes, 16) : zero;
    const b20 = k > 2 ? v128.load(bp + 2 * rowBytes) : zero, b21 = k > 2 ? v128.load(bp + 2 * rowBytes, 16) : zero;
    const b30 = k > 3 ? v128.load(bp + 3 * rowBytes) : zero, b31 = k > 3 ? v128.load(bp + 3 * rowBytes, 16) : zero;
    const init0 = mode == 2 ? v128.load(at(bias, j)) : zero, init1 = mode == 2 ? v128.load(at(bias, j + 4)) : zero;
    const accumulate = mode == 1;
    for (let i = 0; i < m; i++) {
      const ap = at(a, i * k), cp = at(c, i * n + j);
      let s0 = accumulate ? v128.load(cp) : init0, s1 = accumulate ? v128.load(cp, 16) : init1;
      let x = v128.load32_splat(ap);
      s0 = madd(x, b00, s0);
      s1 = madd(x, b01, s1);
      if (k > 1) {
        x = v128.load32_splat(ap + 4);
        s0 = madd(x, b10, s0);
        s1 = madd(x, b11, s1);
        if (k > 2) {
          x = v128.load32_splat(ap + 8);
          s0 = madd(x, b20, s0);
          s1 = madd(x, b21, s1);
          if (k > 3) {
            x = v128.load32_splat(ap + 12);
            s0 = madd(x, b30, s0);
            s1 = madd(x, b31, s1);
          }
        }
      }
      v128.store(cp, s0);
      v128.store(cp, s1, 16);
    }
  }
  for (; j < n; j += 4) {
    const t = min(4, n - j);
    for (let i = 0; i < m; i++) {
      const cp = at(c, i * n + j);
      let s = t == 4 ? initAt(mode, cp, bias, j) : initPart(mode, cp, bias, j, t);
      for (let p = 0; p < k; p++) {
        const bp = at(b, p * n + j);
        s = madd(v128.load32_splat(at(a, i * k + p)), t == 4 ? v128.load(bp) : loadPart(bp, t), s);
      }
      if (t == 4) v128.store(cp, s);
      else storePart(cp, s, t);
    }
  }
}

// gemm for n = 2 (a network's 2-d output, or the weight gradient of a 2-d input): two rows in a
// vector, lanes (C[i][0], C[i][1], C[i+1][0], C[i+1][1]), which are C's next four floats. A pair
// of terms of both rows comes from two 8-byte loads and two shuffles; B's row p is (B[p][0],
// B[p][1]) twice. The same madds per element in the same order as gemmTiled.
function gemmTwoColumns(a: usize, b: usize, c: usize, m: i32, k: i32, mode: i32, bias: usize): void {
  const rowBytes = <usize>k << 2;
  const init = mode == 2 ? v128.load64_splat(bias) : f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = at(a, i * k), cp = at(c, i * 2);
    let s = mode == 1 ? v128.load(cp) : init, u = mode == 1 ? v128.load(cp, 16) : init;
    let p = 0;
    for (; p + 2 <= k; p += 2) {
      const off = <usize>p << 2;
      const r0 = v128.load64_splat(a0 + off), r1 = v128.load64_splat(a0 + rowBytes + off);
      const r2 = v128.load64_splat(a0 + 2 * rowBytes + off), r3 = v128.load64_splat(a0 + 3 * rowBytes + off);
      const bp = v128.load64_splat(at(b, p * 2)), bq = v128.load64_splat(at(b, p * 2 + 2));
      s = madd(i32x4.shuffle(r0, r1, 0, 0, 4, 4), bp, s);
      u = madd(i32x4.shuffle(r2, r3, 0, 0, 4, 4), bp, u);
      s = madd(i32x4.shuffle(r0, r1, 1, 1, 5, 5), bq, s);
      u = madd(i32x4.shuffle(r2, r3, 1, 1, 5, 5), bq, u);
    }
    if (p < k) {
      const off = <usize>p << 2;
      const bp = v128.load64_splat(at(b, p * 2));
      const x01 = i32x4.shuffle(v128.load32_splat(a0 + off), v128.load32_splat(a0 + rowBytes + off), 0, 0, 4, 4);
      const x23 = i32x4.shuffle(
        v128.load32_splat(a0 + 2 * rowBytes + off), v128.load32_splat(a0 + 3 * rowBytes + off), 0, 0, 4, 4,
      );
      s = madd(x01, bp, s);
      u = madd(x23, bp, u);
    }
    v128.store(cp, s);
    v128.store(cp, u, 16);
  }
  for (; i < m; i++) {
    const ap = at(a, i * k), cp = at(c, i * 2);
    let s = mode == 1 ? loadPart(cp, 2) : init;
    for (let p = 0; p < k; p++) {
      s = madd(v128.load32_splat(at(ap, p)), v128.load64_zero(at(b, p * 2)), s);
    }
    storePart(cp, s, 2);
  }
}

// Rows i .. i + R - 1 (R = 4, 5 or 6) of gemm over the full 8-column blocks, by R x 8 tiles: 2R
// sums in flight, each row's A value broadcast once per term. Returns the first column left (n
// rounded down to a multiple of 8). R is a constant where it is inlined, so the unused rows' code
// goes. The x86 vector registers (16, one kept by V8) hold 12 sums, 2 of B and the broadcast: 6
// rows with the relaxed build's madd, 5 with the plain build's multiply and add (one more register);
// one row more spills (256x128x128 measured here: 6 rows 0.82x of 4 rows' time in the relaxed
// build, 7 rows 1.40x; plain build: 5 rows 0.94-0.97x, 6 rows 1.26x).
// @ts-ignore: decorator
@inline function gemmTile8(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize, R: i32): i32 {
  const a0 = at(a, i * k), a1 = at(a, (i + 1) * k), a2 = at(a, (i + 2) * k), a3 = at(a, (i + 3) * k);
  const a4 = at(a, (i + min(4, R - 1)) * k), a5 = at(a, (i + min(5, R - 1)) * k);
  const c0 = at(c, i * n), c1 = at(c, (i + 1) * n), c2 = at(c, (i + 2) * n), c3 = at(c, (i + 3) * n);
  const c4 = at(c, (i + min(4, R - 1)) * n), c5 = at(c, (i + min(5, R - 1)) * n);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    let s00 = initAt(mode, at(c0, j), bias, j), s01 = initAt(mode, at(c0, j + 4), bias, j + 4);
    let s10 = initAt(mode, at(c1, j), bias, j), s11 = initAt(mode, at(c1, j + 4), bias, j + 4);
    let s20 = initAt(mode, at(c2, j), bias, j), s21 = initAt(mode, at(c2, j + 4), bias, j + 4);
    let s30 = initAt(mode, at(c3, j), bias, j), s31 = initAt(mode, at(c3, j + 4), bias, j + 4);
    let s40 = f32x4.splat(0), s41 = f32x4.splat(0), s50 = f32x4.splat(0), s51 = f32x4.splat(0);
    if (R > 4) {
      s40 = initAt(mode, at(c4, j), bias, j);
      s41 = initAt(mode, at(c4, j + 4), bias, j + 4);
    }
    if (R > 5) {
      s50 = initAt(mode, at(c5, j), bias, j);
      s51 = initAt(mode, at(c5, j + 4), bias, j + 4);
    }
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      const off = <usize>p << 2;
      let x = v128.load32_splat(a0 + off);
      s00 = madd(x, b0, s00);
      s01 = madd(x, b1, s01);
      x = v128.load32_splat(a1 + off);
      s10 = madd(x, b0, s10);
      s11 = madd(x, b1, s11);
      x = v128.load32_splat(a2 + off);
      s20 = madd(x, b0, s20);
      s21 = madd(x, b1, s21);
      x = v128.load32_splat(a3 + off);
      s30 = madd(x, b0, s30);
      s31 = madd(x, b1, s31);
      if (R > 4) {
        x = v128.load32_splat(a4 + off);
        s40 = madd(x, b0, s40);
        s41 = madd(x, b1, s41);
      }
      if (R > 5) {
        x = v128.load32_splat(a5 + off);
        s50 = madd(x, b0, s50);
        s51 = madd(x, b1, s51);
      }
      bp += <usize>n << 2;
    }
    v128.store(at(c0, j), s00);
    v128.store(at(c0, j + 4), s01);
    v128.store(at(c1, j), s10);
    v128.store(at(c1, j + 4), s11);
    v128.store(at(c2, j), s20);
    v128.store(at(c2, j + 4), s21);
    v128.store(at(c3, j), s30);
    v128.store(at(c3, j + 4), s31);
    if (R > 4) {
      v128.store(at(c4, j), s40);
      v128.store(at(c4, j + 4), s41);
    }
    if (R > 5) {
      v128.store(at(c5, j), s50);
      v128.store(at(c5, j + 4), s51);
    }
  }
  return j;
}

// Rows i .. i + R - 1 (R = 5 or 6) of gemm: gemmTile8, then the columns past the last full tile as
// gemmRow1 does them.
// @ts-ignore: decorator
@inline function gemmRowsWide(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize, R: i32): void {
  const j = gemmTile8(a, b, c, i, k, n, mode, bias, R);
  if (j < n) for (let r = 0; r < R; r++) gemmRow1(a, b, c, i + r, k, n, mode, bias, j);
}

function gemmRows6(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  gemmRowsWide(a, b, c, i, k, n, mode, bias, 6);
}

function gemmRows5(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  gemmRowsWide(a, b, c, i, k, n, mode, bias, 5);
}

// Rows i .. i + 3 of gemm: gemmTile8, then 4 x 4 tiles and a partial one.
function gemmRows4(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize): void {
  const a0 = at(a, i * k), a1 = at(a, (i + 1) * k), a2 = at(a, (i + 2) * k), a3 = at(a, (i + 3) * k);
  const c0 = at(c, i * n), c1 = at(c, (i + 1) * n), c2 = at(c, (i + 2) * n), c3 = at(c, (i + 3) * n);
  let j = gemmTile8(a, b, c, i, k, n, mode, bias, 4);
  for (; j + 4 <= n; j += 4) {
    let s0 = initAt(mode, at(c0, j), bias, j), s1 = initAt(mode, at(c1, j), bias, j);
    let s2 = initAt(mode, at(c2, j), bias, j), s3 = initAt(mode, at(c3, j), bias, j);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      const b0 = v128.load(bp);
      const off = <usize>p << 2;
      s0 = madd(v128.load32_splat(a0 + off), b0, s0);
      s1 = madd(v128.load32_splat(a1 + off), b0, s1);
      s2 = madd(v128.load32_splat(a2 + off), b0, s2);
      s3 = madd(v128.load32_splat(a3 + off), b0, s3);
      bp += <usize>n << 2;
    }
    v128.store(at(c0, j), s0);
    v128.store(at(c1, j), s1);
    v128.store(at(c2, j), s2);
    v128.store(at(c3, j), s3);
  }
  if (j < n) {
    const t = n - j;
    let s0 = initPart(mode, at(c0, j), bias, j, t), s1 = initPart(mode, at(c1, j), bias, j, t);
    let s2 = initPart(mode, at(c2, j), bias, j, t), s3 = initPart(mode, at(c3, j), bias, j, t);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      const b0 = loadPart(bp, t);
      const off = <usize>p << 2;
      s0 = madd(v128.load32_splat(a0 + off), b0, s0);
      s1 = madd(v128.load32_splat(a1 + off), b0, s1);
      s2 = madd(v128.load32_splat(a2 + off), b0, s2);
      s3 = madd(v128.load32_splat(a3 + off), b0, s3);
      bp += <usize>n << 2;
    }
    storePart(at(c0, j), s0, t);
    storePart(at(c1, j), s1, t);
    storePart(at(c2, j), s2, t);
    storePart(at(c3, j), s3, t);
  }
}

// Row i of gemm, from column j0 on.
function gemmRow1(a: usize, b: usize, c: usize, i: i32, k: i32, n: i32, mode: i32, bias: usize, j0: i32): void {
  const a0 = at(a, i * k);
  const c0 = at(c, i * n);
  let j = j0;
  for (; j + 8 <= n; j += 8) {
    let s00 = initAt(mode, at(c0, j), bias, j), s01 = initAt(mode, at(c0, j + 4), bias, j + 4);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      const x = v128.load32_splat(a0 + (<usize>p << 2));
      s00 = madd(x, v128.load(bp), s00);
      s01 = madd(x, v128.load(bp, 16), s01);
      bp += <usize>n << 2;
    }
    v128.store(at(c0, j), s00);
    v128.store(at(c0, j + 4), s01);
  }
  for (; j + 4 <= n; j += 4) {
    let s0 = initAt(mode, at(c0, j), bias, j);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      s0 = madd(v128.load32_splat(a0 + (<usize>p << 2)), v128.load(bp), s0);
      bp += <usize>n << 2;
    }
    v128.store(at(c0, j), s0);
  }
  if (j < n) {
    const t = n - j;
    let s0 = initPart(mode, at(c0, j), bias, j, t);
    let bp = at(b, j);
    for (let p = 0; p < k; p++) {
      s0 = madd(v128.load32_splat(a0 + (<usize>p << 2)), loadPart(bp, t), s0);
      bp += <usize>n << 2;
    }
    storePart(at(c0, j), s0, t);
  }
}

/**
 * gemm's C[m x n] = init + A[m x k] B[k x n] for an A with many zero entries (the outputs of a
 * ReLU layer and the gradients through it): each sum runs over the nonzero A[i][p] only, in order
 * of p with one madd per term. A skipped term would add A[i][p] B[p][j] = +-0, which changes no
 * sum (x + +-0 = x for x not zero, and +0 + -0 = +0), so for finite B the bits are gemm's; the one
 * exception is a sum started at -0 (a -0 bias or accumulated entry) whose every term is zero.
 * NaN entries of A count as nonzero. `scratch` holds 2 m k + m + 64 + 32 k i32: each row's
 * nonzero terms as the byte offsets of their rows in a 32-column strip of B (p 128) and, after all
 * of those, as their values A[i][p] (both packed four at a time by one byte shuffle), the lists'
 * lengths, the 16 shuffles, then the strip: B's columns [j, j + 32) copied to rows of 128 bytes.
 * In place, B's rows lie n 4 bytes apart (512 for 128 columns), which crowds a strip's lines
 * into a few L1 sets (the likely reason, not shown); copied, they are contiguous. Measured against
 * the in-place strips: 0.99x at 20% nonzero, 0.97x at 45%, 0.95x at 60%.
 * The lists pay only for 32 columns or more and when at most 2/3 of A is nonzero
 * (measured here: 256 x 128 x 128 takes 60 us at 20% nonzero, 98 us at 40%, 144 us at 60% and
 * 169 us at 70%, against gemm's 165 us): otherwise gemm runs. Returns the number of nonzero
 * entries (-1 when gemm ran without counting).
 */
export function gemmSparse(
  a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize, scratch: usize,
): i32 {
  if (n < 32) {
    gemm(a, b, c, m, k, n, mode, bias);
    return -1;
  }
  const values = at(scratch, m * k), counts = at(values, m * k);
  // For each 4-bit mask of nonzero lanes, the byte shuffle that packs those lanes to the front.
  const packs = at(counts, m);
  for (let mask = 0; mask < 16; mask++) {
    let o = 0;
    for (let lane = 0; lane < 4; lane++) {
      if (((mask >> lane) & 1) == 0) continue;
      for (let byte = 0; byte < 4; byte++) store<u8>(packs + (mask << 4) + (o << 2) + byte, (lane << 2) + byte);
      o++;
    }
    for (; o < 4; o++) store<u32>(packs + (mask << 4) + (o << 2), 0x80808080);
  }
  let nonzero = 0;
  for (let i = 0; i < m; i++) {
    const arow = at(a, i * k), offsets = at(scratch, i * k), vals = at(values, i * k);
    let q = 0, p = 0;
    let offset = i32x4(0, STRIP_BYTES, 2 * STRIP_BYTES, 3 * STRIP_BYTES);
    const step = i32x4.splat(STRIP_BYTES << 2);
    for (; p + 4 <= k; p += 4) {
      const x = v128.load(at(arow, p));
      const mask = i32x4.bitmask(f32x4.ne(x, f32x4.splat(0)));
      const pack = v128.load(packs + (<usize>mask << 4));
      v128.store(at(offsets, q), pick(offset, pack));
      v128.store(at(vals, q), pick(x, pack));
      q += <i32>popcnt<u32>(mask);
      offset = i32x4.add(offset, step);
    }
    for (; p < k; p++) {
      const x = load<f32>(at(arow, p));
      store<i32>(at(offsets, q), p * STRIP_BYTES);
      store<f32>(at(vals, q), x);
      q += <i32>(x != 0);
    }
    store<i32>(at(counts, i), q);
    nonzero += q;
  }
  // The lists are built first (counting as they go: no pass of its own), then dropped if dense.
  if (<i64>nonzero * 4 > <i64>m * <i64>k * 3) {
    gemm(a, b, c, m, k, n, mode, bias);
    return nonzero;
  }
  const strip = at(packs, 64);
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    copyStrip(b, strip, k, n, j);
    sparseColumns32(strip, c, m, k, n, mode, bias, scratch, j);
  }
  for (; j < n; j += 4) sparseColumns4(b, c, m, k, n, mode, bias, scratch, j, min(4, n - j));
  return nonzero;
}

// Bytes of a row of gemmSparse's strip (32 columns).
const STRIP_BYTES = 128;

// B's columns [j, j + 32), k rows, to `strip` (rows of STRIP_BYTES bytes).
function copyStrip(b: usize, strip: usize, k: i32, n: i32, j: i32): void {
  let src = at(b, j), dst = strip;
  for (let p = 0; p < k; p++) {
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
    v128.store(dst, v128.load(src, 32), 32);
    v128.store(dst, v128.load(src, 48), 48);
    v128.store(dst, v128.load(src, 64), 64);
    v128.store(dst, v128.load(src, 80), 80);
    v128.store(dst, v128.load(src, 96), 96);
    v128.store(dst, v128.load(src, 112), 112);
    src += <usize>n << 2;
    dst += STRIP_BYTES;
  }
}

// Columns [j, j + 32) of gemmSparse, every row, from their strip of B (`copyStrip`).
function sparseColumns32(
  strip: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize, scratch: usize, j: i32,
): void {
  const values = at(scratch, m * k), counts = at(values, m * k);
  const bj = strip;
  for (let i = 0; i < m; i++) {
    const offsets = at(scratch, i * k), vals = at(values, i * k), cp = at(c, i * n + j);
    let s0 = initAt(mode, cp, bias, j), s1 = initAt(mode, cp + 16, bias, j + 4);
    let s2 = initAt(mode, cp + 32, bias, j + 8), s3 = initAt(mode, cp + 48, bias, j + 12);
    let s4 = initAt(mode, cp + 64, bias, j + 16), s5 = initAt(mode, cp + 80, bias, j + 20);
    let s6 = initAt(mode, cp + 96, bias, j + 24), s7 = initAt(mode, cp + 112, bias, j + 28);
    const count = load<i32>(at(counts, i));
    let q = 0;
    // Two terms per pass, each sum still taking them in order.
    for (; q + 2 <= count; q += 2) {
      const o = at(offsets, q), v = at(vals, q);
      const bp = bj + <usize>load<i32>(o), bp2 = bj + <usize>load<i32>(o, 4);
      const x = v128.load32_splat(v), x2 = v128.load32_splat(v, 4);
      s0 = madd(x2, v128.load(bp2), madd(x, v128.load(bp), s0));
      s1 = madd(x2, v128.load(bp2, 16), madd(x, v128.load(bp, 16), s1));
      s2 = madd(x2, v128.load(bp2, 32), madd(x, v128.load(bp, 32), s2));
      s3 = madd(x2, v128.load(bp2, 48), madd(x, v128.load(bp, 48), s3));
      s4 = madd(x2, v128.load(bp2, 64), madd(x, v128.load(bp, 64), s4));
      s5 = madd(x2, v128.load(bp2, 80), madd(x, v128.load(bp, 80), s5));
      s6 = madd(x2, v128.load(bp2, 96), madd(x, v128.load(bp, 96), s6));
      s7 = madd(x2, v128.load(bp2, 112), madd(x, v128.load(bp, 112), s7));
    }
    if (q < count) {
      const bp = bj + <usize>load<i32>(at(offsets, q));
      const x = v128.load32_splat(at(vals, q));
      s0 = madd(x, v128.load(bp), s0);
      s1 = madd(x, v128.load(bp, 16), s1);
      s2 = madd(x, v128.load(bp, 32), s2);
      s3 = madd(x, v128.load(bp, 48), s3);
      s4 = madd(x, v128.load(bp, 64), s4);
      s5 = madd(x, v128.load(bp, 80), s5);
      s6 = madd(x, v128.load(bp, 96), s6);
      s7 = madd(x, v128.load(bp, 112), s7);
    }
    store32(cp, s0, s1, s2, s3, s4, s5, s6, s7);
  }
}

// Columns [j, j + t) of gemmSparse (t <= 4), every row.
function sparseColumns4(
  b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32, bias: usize, scratch: usize, j: i32,
  t: i32,
): void {
  const values = at(scratch, m * k), counts = at(values, m * k);
  const bj = at(b, j);
  for (let i = 0; i < m; i++) {
    const offsets = at(scratch, i * k), vals = at(values, i * k), cp = at(c, i * n + j);
    let s = t == 4 ? initAt(mode, cp, bias, j) : initPart(mode, cp, bias, j, t);
    const count = load<i32>(at(counts, i));
    for (let q = 0; q < count; q++) {
      // The lists hold offsets in a strip (p STRIP_BYTES); here B is read in place.
      const bp = bj + <usize>(load<i32>(at(offsets, q)) / STRIP_BYTES) * (<usize>n << 2);
      s = madd(v128.load32_splat(at(vals, q)), t == 4 ? v128.load(bp) : loadPart(bp, t), s);
    }
    if (t == 4) v128.store(cp, s);
    else storePart(cp, s, t);
  }
}

/** The number of entries of x[count] that are not zero (NaN counts as not zero). */
export function nonZeros(x: usize, count: i32): i32 {
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) acc = i32x4.sub(acc, f32x4.ne(v128.load(at(x, i)), f32x4.splat(0)));
  let total = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) +
    i32x4.extract_lane(acc, 3);
  for (; i < count; i++) total += <i32>(load<f32>(at(x, i)) != 0);
  return total;
}

/**
 * C[k x n] = init + A[m x k]^T B[m x n] (a weight gradient h^T dz): C[i][j] = init +
 * sum_{r=0}^{m-1} A[r][i] B[r][j], in order of r; init 0 zeros or 1 accumulate.
 */
export function gemmTN(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, mode: i32): void {
  let i = 0;
  for (; i + 4 <= k; i += 4) {
    const c0 = at(c, i * n), c1 = at(c, (i + 1) * n), c2 = at(c, (i + 2) * n), c3 = at(c, (i + 3) * n);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let s00 = initAt(mode, at(c0, j), 0, j), s01 = initAt(mode, at(c0, j + 4), 0, j);
      let s10 = initAt(mode, at(c1, j), 0, j), s11 = initAt(mode, at(c1, j + 4), 0, j);
      let s20 = initAt(mode, at(c2, j), 0, j), s21 = initAt(mode, at(c2, j + 4), 0, j);
      let s30 = initAt(mode, at(c3, j), 0, j), s31 = initAt(mode, at(c3, j + 4), 0, j);
      for (let r = 0; r < m; r++) {
        const bp = at(b, r * n + j);
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const ap = at(a, r * k + i);
        let x = v128.load32_splat(ap);
        s00 = madd(x, b0, s00);
        s01 = madd(x, b1, s01);
        x = v128.load32_splat(ap, 4);
        s10 = madd(x, b0, s10);
        s11 = madd(x, b1, s11);
        x = v128.load32_splat(ap, 8);
        s20 = madd(x, b0, s20);
        s21 = madd(x, b1, s21);
        x = v128.load32_splat(ap, 12);
        s30 = madd(x, b0, s30);
        s31 = madd(x, b1, s31);
      }
      v128.store(at(c0, j), s00);
      v128.store(at(c0, j + 4), s01);
      v128.store(at(c1, j), s10);
      v128.store(at(c1, j + 4), s11);
      v128.store(at(c2, j), s20);
      v128.store(at(c2, j + 4), s21);
      v128.store(at(c3, j), s30);
      v128.store(at(c3, j + 4), s31);
    }
    for (; j < n; j += 4) {
      const t = min(4, n - j);
      let s0 = initPart4(mode, at(c0, j), t), s1 = initPart4(mode, at(c1, j), t);
      let s2 = initPart4(mode, at(c2, j), t), s3 = initPart4(mode, at(c3, j), t);
      for (let r = 0; r < m; r++) {
        const b0 = t == 4 ? v128.load(at(b, r * n + j)) : loadPart(at(b, r * n + j), t);
        const ap = at(a, r * k + i);
        s0 = madd(v128.load32_splat(ap), b0, s0);
        s1 = madd(v128.load32_splat(ap, 4), b0, s1);
        s2 = madd(v128.load32_splat(ap, 8), b0, s2);
        s3 = madd(v128.load32_splat(ap, 12), b0, s3);
      }
      storePart4(at(c0, j), s0, t);
      storePart4(at(c1, j), s1, t);
      storePart4(at(c2, j), s2, t);
      storePart4(at(c3, j), s3, t);
    }
  }
  for (; i < k; i++) {
    const c0 = at(c, i * n);
    for (let j = 0; j < n; j += 4) {
      const t = min(4, n - j);
      let s0 = initPart4(mode, at(c0, j), t);
      for (let r = 0; r < m; r++) {
        const b0 = t == 4 ? v128.load(at(b, r * n + j)) : loadPart(at(b, r * n + j), t);
        s0 = madd(v128.load32_splat(at(a, r * k + i)), b0, s0);
      }
      storePart4(at(c0, j), s0, t);
    }
  }
}

// @ts-ignore: decorator
@inline function initPart4(mode: i32, c: usize, t: i32): v128 {
  if (mode != 1) return f32x4.splat(0);
  return t == 4 ? v128.load(c) : loadPart(c, t);
}

// The `t` (1-4) floats at index i of `p`, zeros above.
// @ts-ignore: decorator
@inline function lanes(p: usize, i: i32, t: i32): v128 {
  return t == 4 ? v128.load(at(p, i)) : loadPart(at(p, i), t);
}

// @ts-ignore: decorator
@inline function storePart4(p: usize, v: v128, t: i32): void {
  if (t == 4) v128.store(p, v);
  else storePart(p, v, t);
}

/**
 * dst[cols x rows] = src[rows x cols]^T: 4 x 4 blocks by lane shuffles (the edges one by one),
 * taken in strips of TRANSPOSE_STRIP source columns so that the destination rows being written
 * stay in L1 (a row-by-row sweep over all columns ran at 0.43 ns a float on 256 x 128).
 */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const full = cols & ~3;
  for (let c0 = 0; c0 < full; c0 += TRANSPOSE_STRIP) {
    const c1 = min(c0 + TRANSPOSE_STRIP, full);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      for (let c = c0; c < c1; c += 4) transpose4x4(src, dst, rows, cols, r, c);
    }
    for (; r < rows; r++) {
      for (let c = c0; c < c1; c++) store<f32>(at(dst, c * rows + r), load<f32>(at(src, r * cols + c)));
    }
  }
  for (let c = full; c < cols; c++) {
    for (let r = 0; r < rows; r++) store<f32>(at(dst, c * rows + r), load<f32>(at(src, r * cols + c)));
  }
}

const TRANSPOSE_STRIP = 32;

// The 4 x 4 block at (r, c) of src[rows x cols] into dst[cols x rows] at (c, r).
// @ts-ignore: decorator
@inline function transpose4x4(src: usize, dst: usize, rows: i32, cols: i32, r: i32, c: i32): void {
  const a0 = v128.load(at(src, r * cols + c)), a1 = v128.load(at(src, (r + 1) * cols + c));
  const a2 = v128.load(at(src, (r + 2) * cols + c)), a3 = v128.load(at(src, (r + 3) * cols + c));
  const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
  v128.store(at(dst, c * rows + r), v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(at(dst, (c + 1) * rows + r), v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(at(dst, (c + 2) * rows + r), v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(at(dst, (c + 3) * rows + r), v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

// Row segment vrow[0, d) += w E[t] for the entry w = O[row][t] if it is not zero (one madd per
// element, so a row's sum runs over its nonzero t in order whatever skips them).
// @ts-ignore: decorator
@inline function addScaledRow(w: f32, e: usize, vrow: usize, t: i32, d: i32): void {
  addScaledInto(w, at(e, t * d), vrow, d);
}

// Does the 4-float group at p hold an entry that is not zero (NaN counts as not zero)?
// @ts-ignore: decorator
@inline function anyNonZero4(p: usize): bool {
  return v128.any_true(f32x4.ne(v128.load(p), f32x4.splat(0)));
}

/**
 * V[m x d] = O[m x T] E[T x d] for rows of O that are mostly zeros (one-hot or two-hot time
 * rows): the zero entries are skipped (four at a time), the others taken in order of t with one
 * madd each into the row, which starts at 0.
 */
export function sparseRowsGemm(o: usize, e: usize, v: usize, m: i32, T: i32, d: i32): void {
  for (let i = 0; i < m; i++) {
    const orow = at(o, i * T), vrow = at(v, i * d);
    memory.fill(vrow, 0, <usize>d << 2);
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      if (!anyNonZero4(at(orow, t))) continue;
      for (let u = t; u < t + 4; u++) {
        const w = load<f32>(at(orow, u));
        if (w != 0) addScaledRow(w, e, vrow, u, d);
      }
    }
    for (; t < T; t++) {
      const w = load<f32>(at(orow, t));
      if (w != 0) addScaledRow(w, e, vrow, t, d);
    }
  }
}

/**
 * sparseRowsGemm for one-hot rows given by their indices (`idx[m]`, whole numbers as floats): row i
 * of V is E[idx[i]], added into a zero row by the same madd, so the bits are sparseRowsGemm's on
 * the one-hot matrix, without scanning its zeros.
 */
export function indexRowsGemm(idx: usize, e: usize, v: usize, m: i32, d: i32): void {
  for (let i = 0; i < m; i++) {
    const vrow = at(v, i * d);
    memory.fill(vrow, 0, <usize>d << 2);
    addScaledRow(1, e, vrow, <i32>load<f32>(at(idx, i)), d);
  }
}

/** sparseRowsGemmTN for one-hot rows given by their indices: G[idx[i]] += D[i], rows in order. */
export function indexRowsGemmTN(idx: usize, dv: usize, g: usize, m: i32, d: i32): void {
  for (let i = 0; i < m; i++) addScaledInto(1, at(dv, i * d), at(g, <i32>load<f32>(at(idx, i)) * d), d);
}

/** G[T x d] += O[m x T]^T D[m x d], skipping the zero entries of O (rows in order). */
export function sparseRowsGemmTN(o: usize, dv: usize, g: usize, m: i32, T: i32, d: i32): void {
  for (let i = 0; i < m; i++) {
    const orow = at(o, i * T), drow = at(dv, i * d);
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      if (!anyNonZero4(at(orow, t))) continue;
      for (let u = t; u < t + 4; u++) {
        const w = load<f32>(at(orow, u));
        if (w != 0) addScaledInto(w, drow, at(g, u * d), d);
      }
    }
    for (; t < T; t++) {
      const w = load<f32>(at(orow, t));
      if (w != 0) addScaledInto(w, drow, at(g, t * d), d);
    }
  }
}

// grow[0, d) += w drow[0, d), one madd per element.
// @ts-ignore: decorator
@inline function addScaledInto(w: f32, drow: usize, grow: usize, d: i32): void {
  const ws = f32x4.splat(w);
  const full = d & ~3;
  let j = 0;
  for (; j < full; j += 4) v128.store(at(grow, j), madd(ws, v128.load(at(drow, j)), v128.load(at(grow, j))));
  if (j < d) {
    const t = d - j, gp = at(grow, j);
    storePart(gp, madd(ws, loadPart(at(drow, j), t), loadPart(gp, t)), t);
  }
}

/**
 * out[n] = (mode 1: out +) sum over the m rows of D[m x n], rows in order. Columns go 32 at a time
 * (eight independent sums in flight: one chain of adds waits on the adder's latency), then 4.
 */
export function colsum(d: usize, out: usize, m: i32, n: i32, mode: i32): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    const o = at(out, j);
    let s0 = initPart4(mode, o, 4), s1 = initPart4(mode, o + 16, 4);
    let s2 = initPart4(mode, o + 32, 4), s3 = initPart4(mode, o + 48, 4);
    let s4 = initPart4(mode, o + 64, 4), s5 = initPart4(mode, o + 80, 4);
    let s6 = initPart4(mode, o + 96, 4), s7 = initPart4(mode, o + 112, 4);
    let p = at(d, j);
    for (let r = 0; r < m; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      s4 = f32x4.add(s4, v128.load(p, 64));
      s5 = f32x4.add(s5, v128.load(p, 80));
      s6 = f32x4.add(s6, v128.load(p, 96));
      s7 = f32x4.add(s7, v128.load(p, 112));
      p += rowBytes;
    }
    store32(o, s0, s1, s2, s3, s4, s5, s6, s7);
  }
  for (; j < n; j += 4) {
    const t = min(4, n - j);
    let s = initPart4(mode, at(out, j), t);
    for (let r = 0; r < m; r++) {
      const p = at(d, r * n + j);
      s = f32x4.add(s, t == 4 ? v128.load(p) : loadPart(p, t));
    }
    storePart4(at(out, j), s, t);
  }
}

/** dst[count] = 0. */
export function zero(dst: usize, count: i32): void {
  memory.fill(dst, 0, <usize>count << 2);
}

// --- transcendentals (float32, SIMD) ------------------------------------------------------------

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_MAX: f32 = 88.72283;
const EXP_MIN: f32 = -87.33654;

/**
 * e^x: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two parts so k ln2 is exact), e^r by a
 * degree-6 polynomial, times 2^k built in the exponent bits (in two factors, so that k = 128 works).
 * Above 88.72 it is +Infinity; below
 * -87.34 (where float32 turns subnormal) it is 0.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const big = f32x4.gt(x, f32x4.splat(EXP_MAX));
  const small = f32x4.lt(x, f32x4.splat(EXP_MIN));
  // pmin/pmax (one instruction each on x86) equal min/max here: x stays the first operand, so a
  // NaN passes through, and the bounds are not zeros.
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const k = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  const p = vexpReduced(xc, k);
  // 2^k as 2^k1 2^k2 (k1 = k >> 1): each factor stays a normal float for k in [-126, 128].
  // k is a whole number in [-126, 128] (NaN only where p is NaN): adding 1.5 * 2^23 puts it in
  // the low mantissa bits exactly, a cheaper conversion than trunc_sat's on x86.
  const ki = i32x4.sub(f32x4.add(k, f32x4.splat(12582912)), i32x4.splat(0x4b400000));
  const k1 = i32x4.shr_s(ki, 1);
  const k2 = i32x4.sub(ki, k1);
  const bias = i32x4.splat(127);
  let y = f32x4.mul(f32x4.mul(p, i32x4.shl(i32x4.add(k1, bias), 23)), i32x4.shl(i32x4.add(k2, bias), 23));
  y = v128.bitselect(f32x4.splat(Infinity), y, big);
  return v128.andnot(y, small);
}

/** e^r with r = xc - k ln2 (ln2 in two parts), by vexp's degree-6 polynomial. */
// @ts-ignore: decorator
@inline function vexpReduced(xc: v128, k: v128): v128 {
  let r = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  return f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
}

/**
 * log x for x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1, log(1 + f) = f - f^2/2 +
 * f^3 P(f) (degree-8 polynomial), plus e ln2 in two parts. log 0 = -Infinity, log of a negative
 * number or NaN is NaN, log Infinity = Infinity. Subnormal inputs are not supported (treated as 0).
 */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  const bits = x;
  // Exponent and mantissa: m in [0.5, 1).
  let e = i32x4.sub(i32x4.shr_u(i32x4.shl(bits, 1), 24), i32x4.splat(126));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // m < sqrt(1/2): m <- 2m, e <- e - 1; then f = m - 1.
  const lo = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, lo); // lo lanes are -1
  m = f32x4.add(m, v128.and(m, lo));
  const f = f32x4.sub(m, f32x4.splat(1));
  const z = f32x4.mul(f, f);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(3.3333331174e-1));
  const ef = f32x4.convert_i32x4_s(e);
  let y = f32x4.mul(f32x4.mul(p, z), f);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(f, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
  // Special values.
  const zero = f32x4.le(x, f32x4.splat(1.17549435e-38)); // 0 and subnormals
  const neg = f32x4.lt(x, f32x4.splat(0));
  const nan = f32x4.ne(x, x);
  const inf = f32x4.eq(x, f32x4.splat(Infinity));
  r = v128.bitselect(f32x4.splat(-Infinity), r, zero);
  r = v128.bitselect(f32x4.splat(NaN), r, v128.or(neg, nan));
  return v128.bitselect(f32x4.splat(Infinity), r, inf);
}

/** log(1 + u) for u >= 0, accurate for small u: log(v) - ((v - 1) - u) / v with v = 1 + u. */
// @ts-ignore: decorator
@inline function vlog1p(u: v128): v128 {
  const v = f32x4.add(f32x4.splat(1), u);
  const corr = f32x4.div(f32x4.sub(f32x4.sub(v, f32x4.splat(1)), u), v);
  const r = f32x4.sub(vlog(v), corr);
  // log1p(Infinity) = Infinity (the correction would be NaN).
  return v128.bitselect(u, r, f32x4.eq(u, f32x4.splat(Infinity)));
}

/**
 * e^-|x|, the one exponential that sigmoid and softplus share: vexp's operations for an argument
 * y = -|x| <= 0 (or NaN), bit for bit (every such float32 checked once; tests/kernels_test.ts samples
 * them), without the steps that only positive arguments need: no upper bound, and 2^k in one
 * factor (k >= -126 keeps it normal, and p 2^k rounds once, as p 2^k1 2^k2 does, p 2^k1 being
 * exact).
 */
// @ts-ignore: decorator
@inline function vexpNegAbs(x: v128): v128 {
  const y = f32x4.neg(f32x4.abs(x));
  const small = f32x4.lt(y, f32x4.splat(EXP_MIN));
  const yc = f32x4.pmax(y, f32x4.splat(EXP_MIN));
  const k = f32x4.nearest(f32x4.mul(yc, f32x4.splat(LOG2E)));
  const ki = i32x4.sub(f32x4.add(k, f32x4.splat(12582912)), i32x4.splat(0x4b400000));
  const scale = i32x4.shl(i32x4.add(ki, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(vexpReduced(yc, k), scale), small);
}

/** sigmoid(x) from e = e^-|x|: 1/(1+e) for x >= 0 and e/(1+e) below. */
// @ts-ignore: decorator
@inline function vsigmoidFrom(e: v128, x: v128): v128 {
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(x, f32x4.splat(0)));
}

/** 1 / (1 + e^-x). */
// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  return vsigmoidFrom(vexpNegAbs(x), x);
}

// log(1 + e) for e in [0, 1] (softplus's second term) is 2 atanh(s) with s = e / (2 + e) in
// [0, 1/3]: vatanhArg, then vtwoAtanh (two functions, so that softplus's passes can store s).
// Within 2 ulp of float64 (the softplus test); no log, one division.

/**
 * s = e / (2 + e). 2 + e rounds; r = e - ((2 + e) - 2) is its exact error (Fast2Sum, as 2 >= e),
 * and s = q - q r / t with q = e / t, where 1/t ~ 0.5 - 0.25 e is ample for a term of 2^-23.
 */
// @ts-ignore: decorator
@inline function vatanhArg(e: v128): v128 {
  const t = f32x4.add(f32x4.splat(2), e);
  const r = f32x4.sub(e, f32x4.sub(t, f32x4.splat(2)));
  const q = f32x4.div(e, t);
  const inv = f32x4.sub(f32x4.splat(0.5), f32x4.mul(f32x4.splat(0.25), e));
  return f32x4.sub(q, f32x4.mul(f32x4.mul(q, r), inv));
}

/**
 * 2 atanh(s) = 2s + s z P(z), z = s^2, P the series 2/3 + 2z/5 + ... + 2z^6/15 (the next term is
 * below 2^-26 of the sum).
 */
// @ts-ignore: decorator
@inline function vtwoAtanh(s: v128): v128 {
  const z = f32x4.mul(s, s);
  let p = f32x4.splat(<f32>(2.0 / 15));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 13)));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 11)));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 9)));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 7)));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 5)));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>(2.0 / 3)));
  return f32x4.add(f32x4.add(s, s), f32x4.mul(f32x4.mul(s, z), p));
}

/** log(1 + e^x) from e = e^-|x|: max(x, 0) + log1p(e). */
// @ts-ignore: decorator
@inline function vsoftplusFrom(e: v128, x: v128): v128 {
  return vsoftplusFromAtanhArg(vatanhArg(e), x);
}

/** log(1 + e^x) from s = e / (2 + e), e = e^-|x|: max(x, 0) + 2 atanh(s). */
// @ts-ignore: decorator
@inline function vsoftplusFromAtanhArg(s: v128, x: v128): v128 {
  // pmax(x, 0) differs from max only at x = -0 (the sum is then log 2 either way) and keeps NaN.
  return f32x4.add(f32x4.pmax(x, f32x4.splat(0)), vtwoAtanh(s));
}

/** log(1 + e^x). */
// @ts-ignore: decorator
@inline function vsoftplus(x: v128): v128 {
  return vsoftplusFrom(vexpNegAbs(x), x);
}

/** silu's slope from s = sigmoid(z): s (1 + z (1 - s)). */
// @ts-ignore: decorator
@inline function vsiluSlope(z: v128, s: v128): v128 {
  return f32x4.mul(s, f32x4.add(f32x4.splat(1), f32x4.mul(z, f32x4.sub(f32x4.splat(1), s))));
}

// --- activations --------------------------------------------------------------------------------

// Activation codes: 0 relu, 1 softplus, 2 silu, 3 identity.

// max(z, 0) (wasm's max: NaN stays NaN, max(-0, +0) = +0) in two instructions on x86 rather than
// max's eight: pmax(z, 0) is z unless z < 0, so it differs from max only at z = -0, which the added
// +0 turns into +0 (x + 0 = x for every other x, NaN included).
// @ts-ignore: decorator
@inline function vrelu(z: v128): v128 {
  return f32x4.add(f32x4.pmax(z, f32x4.splat(0)), f32x4.splat(0));
}

// @ts-ignore: decorator
@inline function activate(z: v128, act: i32): v128 {
  if (act == 0) return vrelu(z);
  if (act == 1) return vsoftplus(z);
  if (act == 2) return f32x4.mul(z, vsigmoid(z));
  return z;
}

// d act / dz at z, from z and s = sigmoid(z) (read only by softplus and silu).
// @ts-ignore: decorator
@inline function slopeFrom(z: v128, s: v128, act: i32): v128 {
  if (act == 1) return s;
  if (act == 2) return vsiluSlope(z, s);
  return slope(z, act);
}

// d act / dz at z.
// @ts-ignore: decorator
@inline function slope(z: v128, act: i32): v128 {
  if (act == 0) return v128.and(f32x4.gt(z, f32x4.splat(0)), f32x4.splat(1));
  if (act == 1) return vsigmoid(z);
  if (act == 2) return vsiluSlope(z, vsigmoid(z));
  return f32x4.splat(1);
}

// h[i, i + 8) = act(z[i, i + 8)) for a constant act (relu: two vectors per iteration).
// @ts-ignore: decorator
@inline function activate8(z: usize, h: usize, i: i32, act: i32): void {
  v128.store(at(h, i), activate(v128.load(at(z, i)), act));
  v128.store(at(h, i + 4), activate(v128.load(at(z, i + 4)), act));
}

/** h[i] = act(z[i]) for `count` floats (h must not overlap z: softplus and silu use h as scratch). */
export function activateInto(z: usize, h: usize, count: i32, act: i32): void {
  let i = 0;
  if (act == 0) for (; i + 8 <= count; i += 8) activate8(z, h, i, 0);
  else if (act == 1 || act == 2) i = inPasses(z, h, 0, count, act);
  for (; i + 4 <= count; i += 4) v128.store(at(h, i), activate(v128.load(at(z, i)), act));
  if (i < count) storePart(at(h, i), activate(loadPart(at(z, i), count - i), act), count - i);
}

// Softplus and silu in passes over blocks of PASS_BLOCK floats (which stay in L1): e = e^-|z|
// first, stored; then for silu sigmoid(z) and z sigmoid(z) from e; for softplus sigmoid(z) and
// s = e / (2 + e), stored, then max(z, 0) + 2 atanh(s). Every value goes through the operations of
// the one-pass code (the same bits: tests/kernels_test.ts), but each pass is a shorter chain, so the
// out-of-order core keeps more values in flight: one pass was a chain of ~140 cycles a vector,
// longer than its window could overlap (softplus + sigmoid 0.73-0.76x the time of one pass, silu
// 0.88-0.91x, alternating in one process; with vexpNegAbs's shorter exp, 0.60x and 0.72x).
// `sig` = 0: h only (activateInto), e and s kept in h.
// Returns the count done (the whole vectors); h and sig must not overlap z.
const PASS_BLOCK = 1024;
function inPasses(z: usize, h: usize, sig: usize, count: i32, act: i32): i32 {
  const full = count & ~3;
  const e = sig != 0 ? sig : h;
  for (let b = 0; b < full; b += PASS_BLOCK) {
    const end = min(b + PASS_BLOCK, full);
    for (let i = b; i < end; i += 4) v128.store(at(e, i), vexpNegAbs(v128.load(at(z, i))));
    if (act == 1) {
      for (let i = b; i < end; i += 4) atanhArgFromStored(z, h, sig, i);
      for (let i = b; i < end; i += 4) {
        v128.store(at(h, i), vsoftplusFromAtanhArg(v128.load(at(h, i)), v128.load(at(z, i))));
      }
    } else {
      for (let i = b; i < end; i += 4) siluFromStored(z, h, sig, i);
    }
  }
  return full;
}

// From e = e^-|z| stored at sig (or h if sig = 0): sig = sigmoid(z) (if sig), h = e / (2 + e).
// @ts-ignore: decorator
@inline function atanhArgFromStored(z: usize, h: usize, sig: usize, i: i32): void {
  const ev = v128.load(at(sig != 0 ? sig : h, i));
  if (sig != 0) v128.store(at(sig, i), vsigmoidFrom(ev, v128.load(at(z, i))));
  v128.store(at(h, i), vatanhArg(ev));
}

// From e = e^-|z| stored at sig (or h if sig = 0): h = z sigmoid(z), sig = sigmoid(z) (if sig).
// @ts-ignore: decorator
@inline function siluFromStored(z: usize, h: usize, sig: usize, i: i32): void {
  const zv = v128.load(at(z, i));
  const s = vsigmoidFrom(v128.load(at(sig != 0 ? sig : h, i)), zv);
  v128.store(at(h, i), f32x4.mul(zv, s));
  if (sig != 0) v128.store(at(sig, i), s);
}

/**
 * A recorded forward step: h[i] = act(z[i]), and for softplus and silu sig[i] = sigmoid(z[i]) from
 * the same exponential, kept for the backward pass (`slopeTimes`, `curvatureWithSigmoid`), which
 * then computes no exponential. Bit for bit the values of `activateInto` and `vsigmoid` (the same
 * operations); `sig` is not touched for relu and identity.
 */
export function activateWithSigmoid(z: usize, h: usize, sig: usize, count: i32, act: i32): void {
  let i = 0;
  if (act == 1 || act == 2) i = inPasses(z, h, sig, count, act);
  for (; i < count; i += 4) {
    const t = min(4, count - i);
    const zv = lanes(z, i, t);
    if (act == 1 || act == 2) {
      const e = vexpNegAbs(zv);
      const s = vsigmoidFrom(e, zv);
      storePart4(at(h, i), act == 1 ? vsoftplusFrom(e, zv) : f32x4.mul(zv, s), t);
      storePart4(at(sig, i), s, t);
    } else {
      storePart4(at(h, i), activate(zv, act), t);
    }
  }
}

// sig[i] (softplus and silu; 0 for the others, which do not read it), as a vector.
// @ts-ignore: decorator
@inline function sigmoidPart(sig: usize, i: i32, t: i32, act: i32): v128 {
  if (act != 1 && act != 2) return f32x4.splat(0);
  return lanes(sig, i, t);
}

/** dz[i] = dh[i] act'(z[i]), act' from z and sig = sigmoid(z) (`activateWithSigmoid`). */
export function slopeTimes(dh: usize, z: usize, sig: usize, dz: usize, count: i32, act: i32): void {
  // Whole vectors in a loop per activation (no branch inside), then the tail.
  const full = count & ~3;
  let i = 0;
  if (act == 0) for (; i < full; i += 4) slopeTimesAt(dh, z, sig, dz, i, 4, 0);
  else if (act == 1) for (; i < full; i += 4) slopeTimesAt(dh, z, sig, dz, i, 4, 1);
  else if (act == 2) for (; i < full; i += 4) slopeTimesAt(dh, z, sig, dz, i, 4, 2);
  for (; i < count; i += 4) slopeTimesAt(dh, z, sig, dz, i, min(4, count - i), act);
}

// slopeTimes on the t (1-4) floats at i.
// @ts-ignore: decorator
@inline function slopeTimesAt(dh: usize, z: usize, sig: usize, dz: usize, i: i32, t: i32, act: i32): void {
  const sv = sigmoidPart(sig, i, t, act);
  storePart4(at(dz, i), f32x4.mul(lanes(dh, i, t), slopeFrom(lanes(z, i, t), sv, act)), t);
}

/** dz[i] = dh[i] act'(z[i]) for `count` floats. */
export function activateBackward(dh: usize, z: usize, dz: usize, count: i32, act: i32): void {
  let i = 0;
  if (act == 0) {
    for (; i + 8 <= count; i += 8) {
      v128.store(at(dz, i), f32x4.mul(v128.load(at(dh, i)), slope(v128.load(at(z, i)), 0)));
      v128.store(at(dz, i + 4), f32x4.mul(v128.load(at(dh, i + 4)), slope(v128.load(at(z, i + 4)), 0)));
    }
  }
  for (; i + 4 <= count; i += 4) {
    v128.store(at(dz, i), f32x4.mul(v128.load(at(dh, i)), slope(v128.load(at(z, i)), act)));
  }
  if (i < count) {
    const t = count - i;
    storePart(at(dz, i), f32x4.mul(loadPart(at(dh, i), t), slope(loadPart(at(z, i), t), act)), t);
  }
}

// d^2 act / dz^2 at z from s = sigmoid(z): relu and identity 0; softplus s (1 - s); silu
// s (1 - s) (2 + z (1 - 2 s)).
// @ts-ignore: decorator
@inline function curvatureFrom(z: v128, s: v128, act: i32): v128 {
  if (act == 1 || act == 2) {
    const ds = f32x4.mul(s, f32x4.sub(f32x4.splat(1), s));
    if (act == 1) return ds;
    const zc = f32x4.mul(z, f32x4.sub(f32x4.splat(1), f32x4.add(s, s)));
    return f32x4.mul(ds, f32x4.add(f32x4.splat(2), zc));
  }
  return f32x4.splat(0);
}

// d^2 act / dz^2 at z.
// @ts-ignore: decorator
@inline function curvature(z: v128, act: i32): v128 {
  return act == 1 || act == 2 ? curvatureFrom(z, vsigmoid(z), act) : f32x4.splat(0);
}

/**
 * out[i] += g[i] u[i] act''(z[i]) for `count` floats: the second-order term of a forward-mode
 * tangent's backward pass (d/dz of act'(z) u, seen by the tangent's gradient g).
 */
export function curvatureInto(g: usize, u: usize, z: usize, out: usize, count: i32, act: i32): void {
  curvatureTerm(g, u, z, 0, out, count, act, false);
}

/** `curvatureInto` with sig = sigmoid(z) kept by `activateWithSigmoid` (no exponential). */
export function curvatureWithSigmoid(
  g: usize,
  u: usize,
  z: usize,
  sig: usize,
  out: usize,
  count: i32,
  act: i32,
): void {
  curvatureTerm(g, u, z, sig, out, count, act, true);
}

// out += g u act''(z), sigmoid(z) read from `sig` (kept) or computed.
// @ts-ignore: decorator
@inline function curvatureTerm(
  g: usize,
  u: usize,
  z: usize,
  sig: usize,
  out: usize,
  count: i32,
  act: i32,
  kept: bool,
): void {
  // Whole vectors in a loop for softplus and for silu (no branch inside), then the rest.
  const full = count & ~3;
  let i = 0;
  if (kept && act == 1) for (; i < full; i += 4) curvatureTermAt(g, u, z, sig, out, i, 4, 1, true);
  else if (kept && act == 2) for (; i < full; i += 4) curvatureTermAt(g, u, z, sig, out, i, 4, 2, true);
  for (; i < count; i += 4) curvatureTermAt(g, u, z, sig, out, i, min(4, count - i), act, kept);
}

// curvatureTerm on the t (1-4) floats at i.
// @ts-ignore: decorator
@inline function curvatureTermAt(
  g: usize, u: usize, z: usize, sig: usize, out: usize, i: i32, t: i32, act: i32, kept: bool,
): void {
  const zv = lanes(z, i, t);
  const curv = kept ? curvatureFrom(zv, sigmoidPart(sig, i, t, act), act) : curvature(zv, act);
  const term = f32x4.mul(f32x4.mul(lanes(g, i, t), lanes(u, i, t)), curv);
  storePart4(at(out, i), f32x4.add(lanes(out, i, t), term), t);
}

/**
 * The transcendentals on their own (tests): fn 0 exp, 1 log, 2 sigmoid, 3 softplus, 4 log1p,
 * 5 e^-|x| (sigmoid's and softplus's own exponential).
 */
export function mapFloat(x: usize, y: usize, count: i32, fn: i32): void {
  for (let i = 0; i < count; i += 4) {
    const t = min(4, count - i);
    const v = lanes(x, i, t);
    let r: v128;
    if (fn == 0) r = vexp(v);
    else if (fn == 1) r = vlog(v);
    else if (fn == 2) r = vsigmoid(v);
    else if (fn == 3) r = vsoftplus(v);
    else if (fn == 4) r = vlog1p(v);
    else r = vexpNegAbs(v);
    storePart4(at(y, i), r, t);
  }
}

// --- optimizer ----------------------------------------------------------------------------------

/**
 * One Adam (AdamW) update of `count` parameters in place, PyTorch's formulation:
 * m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2, p <- p (1 - lr wd) when decaying,
 * p <- p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), with bc = 1 - beta^t. The scalars that
 * combine hyper-parameters (1 - b1, lr / bc1, sqrt(bc2), 1 - lr wd) come in computed in float64.
 */
export function adam(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  count: i32,
  b1: f32,
  b1c: f32,
  b2: f32,
  b2c: f32,
  stepSize: f32,
  sqrtBc2: f32,
  eps: f32,
  decay: f32,
  decaying: i32,
): void {
  const vb1 = f32x4.splat(b1), vb1c = f32x4.splat(b1c);
  const vb2 = f32x4.splat(b2), vb2c = f32x4.splat(b2c);
  const step = f32x4.splat(stepSize), sbc2 = f32x4.splat(sqrtBc2);
  const vdecay = f32x4.splat(decay), veps = f32x4.splat(eps);
  // Whole vectors in loops of their own (with and without decay: no branch inside), then the tail.
  const full = count & ~3;
  let i = 0;
  if (decaying) {
    for (; i < full; i += 4) adam4(p, g, m, v, i, 4, vb1, vb1c, vb2, vb2c, step, sbc2, veps, true, vdecay);
  } else {
    for (; i < full; i += 4) adam4(p, g, m, v, i, 4, vb1, vb1c, vb2, vb2c, step, sbc2, veps, false, vdecay);
  }
  if (i < count) {
    adam4(p, g, m, v, i, count - i, vb1, vb1c, vb2, vb2c, step, sbc2, veps, decaying != 0, vdecay);
  }
}

// adam on the t (1-4) parameters at i.
// @ts-ignore: decorator
@inline function adam4(
  p: usize, g: usize, m: usize, v: usize, i: i32, t: i32, vb1: v128, vb1c: v128, vb2: v128,
  vb2c: v128, step: v128, sbc2: v128, veps: v128, decaying: bool, vdecay: v128,
): void {
  const gi = lanes(g, i, t);
  let mi = lanes(m, i, t);
  let vi = lanes(v, i, t);
  let pi = lanes(p, i, t);
  mi = f32x4.add(f32x4.mul(mi, vb1), f32x4.mul(gi, vb1c));
  vi = f32x4.add(f32x4.mul(vi, vb2), f32x4.mul(f32x4.mul(gi, gi), vb2c));
  if (decaying) pi = f32x4.mul(pi, vdecay);
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), sbc2), veps);
  pi = f32x4.sub(pi, f32x4.div(f32x4.mul(mi, step), denom));
  storePart4(at(m, i), mi, t);
  storePart4(at(v, i), vi, t);
  storePart4(at(p, i), pi, t);
}

/**
 * avg <- avg m + w n for `count` values in place: both products rounded to float32, then their sum
 * (tfjs's mul, mul, add, bit for bit; never fused): the exponential moving average of the weights.
 */
export function emaUpdate(avg: usize, w: usize, count: i32, m: f32, n: f32): void {
  const vm = f32x4.splat(m), vn = f32x4.splat(n);
  const full = count & ~3;
  let i = 0;
  for (; i < full; i += 4) ema4(avg, w, i, 4, vm, vn);
  if (i < count) ema4(avg, w, i, count - i, vm, vn);
}

// emaUpdate on the t (1-4) values at i.
// @ts-ignore: decorator
@inline function ema4(avg: usize, w: usize, i: i32, t: i32, vm: v128, vn: v128): void {
  const r = f32x4.add(f32x4.mul(lanes(avg, i, t), vm), f32x4.mul(lanes(w, i, t), vn));
  storePart4(at(avg, i), r, t);
}

/**
 * The machine's 128-bit madd ceiling, for the bench's roofline (no memory traffic): 10 independent
 * chains of madd s = mult s + add, `iterations` rounds, 80 flops a round (10 x 4 lanes x 2).
 * Returns a lane of their sum, so that the work cannot be dropped.
 */
export function maddPeak(iterations: i32, mult: f32, add: f32): f32 {
  // m and b are arguments: constants would be rebuilt at every use (V8 materializes a v128.const).
  const m = f32x4.splat(mult), b = f32x4.splat(add);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(1), s2 = f32x4.splat(2), s3 = f32x4.splat(3);
  let s4 = f32x4.splat(4), s5 = f32x4.splat(5), s6 = f32x4.splat(6), s7 = f32x4.splat(7);
  let s8 = f32x4.splat(8), s9 = f32x4.splat(9);
  for (let i = 0; i < iterations; i++) {
    s0 = madd(m, s0, b);
    s1 = madd(m, s1, b);
    s2 = madd(m, s2, b);
    s3 = madd(m, s3, b);
    s4 = madd(m, s4, b);
    s5 = madd(m, s5, b);
    s6 = madd(m, s6, b);
    s7 = madd(m, s7, b);
    s8 = madd(m, s8, b);
    s9 = madd(m, s9, b);
  }
  const t = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7)));
  return f32x4.extract_lane(f32x4.add(t, f32x4.add(s8, s9)), 0);
}
