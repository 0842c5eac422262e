/**
 * The MMD's WebAssembly sums (core/kernels/mmd_kernel.ts) are the plain float64 loops bit for bit:
 * their exp is Math.exp's value on millions of points (both correctly rounded: Math.exp checked
 * against exact rational bounds), the exp table and ln 2 split are exact, and the within, cross
 * and matrix sums equal the loops over kernelOf on odd sizes, dimensions 1-3, and bandwidth sets
 * with other integer ratios; the permutation test equals its plain statement.
 */
import assert from "node:assert/strict";
import { MmdSums } from "../core/kernels/mmd_kernel.ts";
import { expConstants } from "../core/kernels/exp_table.ts";
import { kernelOf, mmd2, mmdPermutationTest } from "../core/metrics/mmd.ts";
import { Streams } from "../core/runtime/random.ts";

const stream = (name: string) => new Streams(7).get(name);

function sumsFor(bandwidths: number[]): MmdSums {
  const c = Float64Array.from(bandwidths, (h) => 1 / (2 * h * h));
  const cMin = Math.min(...c);
  return new MmdSums(c, Int32Array.from(c, (v) => Math.round(v / cMin)));
}

/** The exact rational value of a finite double, as n / 2^s (bigints). */
function exact(x: number): { n: bigint; s: bigint } {
  const f = new Float64Array([x]);
  const bits = new BigUint64Array(f.buffer)[0];
  const e = Number((bits >> 52n) & 0x7ffn);
  const mant = (bits & ((1n << 52n) - 1n)) | (e === 0 ? 0n : 1n << 52n);
  const sign = bits >> 63n ? -1n : 1n;
  const shift = BigInt(1075 - (e === 0 ? 1 : e));
  return shift >= 0n ? { n: sign * mant, s: shift } : { n: sign * (mant << -shift), s: 0n };
}

/**
 * Is y the double nearest exp(a)? exp(a) is bracketed by Taylor partial sums of exp(a / 2^q)^(2^q)
 * in 400-bit fixed point, and y's two half-way points must lie outside the bracket on either side.
 */
function correctlyRounded(a: number, y: number): boolean {
  const P = 400n, ONE = 1n << P;
  const { n, s } = exact(a);
  const q = 8n; // |a / 2^8| <= 0.18: the series converges fast
  const r = (n << P) / (1n << (s + q)); // a / 2^q in fixed point (floor)
  let term = ONE, sum = ONE;
  for (let k = 1n; k < 60n; k++) {
    term = (term * r) / (k << P);
    sum += term;
  }
  let lo = sum - 64n, hi = sum + 64n; // series tail and floors, with room to spare
  for (let i = 0n; i < q; i++) {
    lo = (lo * lo) >> P;
    hi = ((hi * hi) >> P) + 1n;
  }
  const yy = exact(y);
  const up = exact(nextAfter(y, 1)), down = exact(nextAfter(y, -1));
  const toFixed = (v: { n: bigint; s: bigint }) => (v.n << P) / (1n << v.s);
  const yf = toFixed(yy), upMid = (yf + toFixed(up)) / 2n, downMid = (yf + toFixed(down)) / 2n;
  return downMid < lo && hi < upMid;
}

function nextAfter(y: number, dir: 1 | -1): number {
  const f = new Float64Array([y]);
  const b = new BigInt64Array(f.buffer);
  b[0] += BigInt(dir);
  return f[0];
}

Deno.test("Math.exp is correctly rounded (the property the kernel's exp relies on)", () => {
  const s = stream("exp-cr");
  for (let i = 0; i < 300; i++) {
    const a = -44 * s.uniform() * (i % 3 === 0 ? 1e-3 : 1);
    assert.ok(correctlyRounded(a, Math.exp(a)), `Math.exp(${a}) = ${Math.exp(a)}`);
  }
  // the check can fail: the neighbouring double is not correctly rounded
  assert.ok(!correctlyRounded(-1.5, nextAfter(Math.exp(-1.5), 1)));
});

Deno.test("the exp table and the ln 2 split are exact", () => {
  const { table, L1, L2 } = expConstants();
  for (let j = 0; j < 128; j++) {
    const hi = table[j], lo = table[128 + j];
    assert.ok(Math.abs(hi - 2 ** (j / 128)) <= 2 ** -52 * hi, `2^(${j}/128)`);
    assert.ok(Math.abs(lo) <= 2 ** -53 * hi, `lo ${j} below half an ulp of hi`);
  }
  assert.equal(table[0], 1);
  assert.equal(table[128], 0);
  // L1 has 40 significant bits, and L1 + L2 is ln 2 / 128 to far below a double's precision
  assert.equal(L1 * 2 ** 47, Math.round(L1 * 2 ** 47));
  assert.ok(Math.abs(L1 + L2 - Math.LN2 / 128) <= 2 ** -60);
  assert.ok(Math.abs(L2) < 2 ** -47);
});

Deno.test("the kernel's exp is Math.exp's value everywhere in [-44, 0], edges included", () => {
  const sums = sumsFor([0.1, 0.2, 0.5, 1, 2]);
  const s = stream("exp");
  const n = 1_000_003;
  const a = Float64Array.from(
    { length: n },
    (_, i) => -44 * s.uniform() * (i % 4 === 0 ? 1e-4 : 1),
  );
  const edges = [0, -0, -5e-324, -1e-300, -44, -40, -Math.LN2 / 256, -Math.LN2 / 128, -Math.LN2];
  a.set(edges);
  const y = sums.exp(a);
  let bad = 0;
  for (let i = 0; i < n; i++) if (y[i] !== Math.exp(a[i])) bad++;
  assert.equal(bad, 0, `${bad} of ${n} values differ from Math.exp`);
});

/** The plain loops the kernel replaces. */
function plain(
  bandwidths: number[],
  x: Float64Array,
  n: number,
  y: Float64Array,
  m: number,
  dim: number,
) {
  const k = kernelOf(bandwidths);
  const d2 = (p: Float64Array, i: number, q: Float64Array, j: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (p[i * dim + d] - q[j * dim + d]) ** 2;
    return s;
  };
  let within = 0, cross = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) within += k(d2(x, i, x, j));
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) cross += k(d2(x, i, y, j));
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) K[i * n + j] = K[j * n + i] = k(d2(x, i, x, j));
  }
  return { within, cross, K };
}

Deno.test("within, cross and matrix sums equal the plain loops bit for bit (odd sizes, dims 1-3, other ratios)", () => {
  const s = stream("sums");
  for (const bandwidths of [[0.1, 0.2, 0.5, 1, 2], [1], [0.25, 1, 0.5]]) {
    const sums = sumsFor(bandwidths);
    for (const dim of [1, 2, 3]) {
      for (const [n, m] of [[2, 1], [3, 4], [7, 5], [64, 33], [301, 257]]) {
        // a spread that puts pairs in every band, cut ones included
        const x = Float64Array.from({ length: n * dim }, () => 12 * (s.uniform() - 0.5));
        const y = Float64Array.from({ length: m * dim }, () => 12 * (s.uniform() - 0.5));
        const want = plain(bandwidths, x, n, y, m, dim);
        const tag = `h ${bandwidths}, dim ${dim}, n ${n}, m ${m}`;
        assert.ok(Object.is(sums.within(x, n, dim), want.within), `within: ${tag}`);
        assert.ok(Object.is(sums.cross(x, n, y, m, dim), want.cross), `cross: ${tag}`);
        assert.deepEqual(sums.matrix(x, n, dim), want.K, `matrix: ${tag}`);
      }
    }
  }
});

Deno.test("the permutation test equals its plain statement", () => {
  const s = stream("perm");
  const x = Float64Array.from({ length: 2 * 150 }, () => 3 * s.uniform());
  const y = Float64Array.from({ length: 2 * 160 }, () => 3 * s.uniform() + 0.2);
  const o = { size: 150, permutations: 40 };
  const got = mmdPermutationTest(x, y, 2, { ...o, stream: new Streams(3).get("p") });
  // the statement: pooled kernel matrix, statistic over labels, p = (1 + #{>=}) / (1 + B)
  const n = 150, N = 300, k = kernelOf([0.1, 0.2, 0.5, 1, 2]);
  const pooled = [...x.slice(0, 2 * n), ...y.slice(0, 2 * n)];
  const K = (i: number, j: number) =>
    k((pooled[2 * i] - pooled[2 * j]) ** 2 + (pooled[2 * i + 1] - pooled[2 * j + 1]) ** 2);
  const stat = (inX: Uint8Array) => {
    let sxx = 0, syy = 0, total = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) if (i !== j) total += K(i, j);
    }
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        if (inX[i] && inX[j]) sxx += K(i, j);
        else if (!inX[i] && !inX[j]) syy += K(i, j);
      }
    }
    return (2 * sxx + 2 * syy) / (n * (n - 1)) - (total - 2 * sxx - 2 * syy) / (n * n);
  };
  const labels = new Uint8Array(N).fill(1, 0, n);
  const observed = stat(labels);
  assert.ok(Math.abs(got.mmd2 - observed) <= 1e-12 * Math.max(1, Math.abs(observed)));
  const draws = new Streams(3).get("p");
  let atLeast = 0;
  for (let p = 0; p < o.permutations; p++) {
    const perm = draws.permutation(N);
    const inX = new Uint8Array(N);
    for (let i = 0; i < n; i++) inX[perm[i]] = 1;
    if (stat(inX) >= observed) atLeast++;
  }
  assert.equal(got.pValue, (1 + atLeast) / (1 + o.permutations));
});

Deno.test("MMD² is its definition for any bandwidths: Gaussian kernels summed, the unbiased estimator (ratios that are not integers run the plain loops)", () => {
  const s = stream("definition");
  const dim = 2, n = 41, m = 37;
  const x = Float64Array.from({ length: n * dim }, () => 3 * s.normal());
  const y = Float64Array.from({ length: m * dim }, () => 3 * s.normal() + 0.3);
  for (const bandwidths of [[1, 1.5], [0.3, 0.7, 2.2], [0.1, 0.2, 0.5, 1, 2]]) {
    const k = (p: Float64Array, i: number, q: Float64Array, j: number) => {
      const d2 = (p[2 * i] - q[2 * j]) ** 2 + (p[2 * i + 1] - q[2 * j + 1]) ** 2;
      // exp(-40) and below are dropped by the implementation: far below these sums' rounding.
      return bandwidths.reduce((a, h) => a + Math.exp(-d2 / (2 * h * h)), 0);
    };
    let xx = 0, yy = 0, xy = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) xx += k(x, i, x, j);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) yy += k(y, i, y, j);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(x, i, y, j);
    const want = xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m);
    const got = mmd2(x, y, dim, bandwidths);
    assert.ok(
      Math.abs(got - want) <= 1e-12 * bandwidths.length,
      `h ${bandwidths}: ${got} vs ${want}`,
    );
  }
});
