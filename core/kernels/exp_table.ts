/**
 * The constants of the MMD kernel's correctly rounded exp (`assembly/mmd.ts`), computed exactly
 * with integer arithmetic instead of typed in:
 *
 *   2^(j/128) = hi_j + lo_j (j = 0..127): hi_j the double nearest 2^(j/128), lo_j the double
 *               nearest the rest; 2^(1/128) by seven fixed-point square roots of 2, its powers by
 *               fixed-point products (each step floors: the error stays below 2^(8 - P));
 *   ln 2 / 128 = L1 + L2: L1 with 40 significant bits (k L1 is exact for |k| < 2^13), L2 the
 *               double nearest the rest; ln 2 = sum_{k>=1} 1 / (k 2^k) in P-bit fixed point.
 */

/** Bits of the fixed-point computations. */
const P = 200n;

/** floor(sqrt(y)) of a non-negative bigint (Newton's method from above). */
function isqrt(y: bigint): bigint {
  if (y < 2n) return y;
  let x = 1n << ((BigInt(y.toString(2).length) + 1n) / 2n);
  for (;;) {
    const next = (x + y / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/** hi + lo: the two doubles nearest the fixed-point value v / 2^P and its remainder. */
function split(v: bigint): [number, number] {
  const scale = 2 ** Number(P);
  const hi = Number(v) / scale;
  const lo = Number(v - BigInt(hi * scale)) / scale;
  return [hi, lo];
}

/** The exp table (128 hi, then 128 lo) and ln 2 / 128 as L1 + L2. */
export interface ExpConstants {
  table: Float64Array;
  L1: number;
  L2: number;
  /** 128 / ln 2 (it only picks k; any nearby double would do). */
  inv: number;
}

/** The constants, computed once. */
export function expConstants(): ExpConstants {
  const table = new Float64Array(256);
  let root = 2n << P; // 2 in fixed point
  for (let s = 0; s < 7; s++) root = isqrt(root << P);
  let y = 1n << P;
  for (let j = 0; j < 128; j++) {
    [table[j], table[128 + j]] = split(y);
    y = (y * root) >> P;
  }
  let ln2 = 0n;
  for (let k = 1n; k <= P + 16n; k++) ln2 += (1n << P) / (k << k);
  const l = ln2 >> 7n;
  // keep 40 significant bits of l (its top bit is 2^-8: bits down to 2^-47)
  const l1 = (l >> (P - 47n)) << (P - 47n);
  const L1 = Number(l1) / 2 ** Number(P);
  const L2 = Number(l - l1) / 2 ** Number(P);
  return { table, L1, L2, inv: 128 / Math.LN2 };
}
