/**
 * Squared errors of a prediction against data in float32 arithmetic, with the bits of the tensor
 * formulas on the wasm backend (the losses of `regression.ts`):
 *
 *   mean:          L = (1 / n) sum_i lambda_row(i) (a_i - b_i)^2,
 *   halved rows:   L = (1 / 2) (1 / rows) sum_r |a_r - b_r|^2,
 *
 * each difference, square, weight product and partial sum rounded to float32 in index order, the
 * sum divided by the count (tfjs-wasm's Sum and Mean kernels), and the gradients in the order of
 * tfjs's Mean, Mul, Square and Sub gradients. On the wasm backend those formulas are ~8 ops of
 * ~10 us each around a network of a few hundred rows; here they run in JavaScript (`Math.fround`
 * after each operation of float32 values is float32 arithmetic: a double holds their exact
 * products and sums, and rounding twice through double is harmless for +, -, * and /).
 */
const f32 = Math.fround;

/**
 * mean(lambda_i (a - b)^2) over every element (lambda_i the weight of row i, 1 without weights), in
 * float32 arithmetic: the bits of tfjs's `mean(mul(lambda, square(sub(a, b))))` (a row's weight
 * times each square, the partial sums in index order, the sum divided by the count).
 */
export function meanSquare(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rowWeights?: ArrayLike<number>,
): number {
  const n = a.length;
  const dim = rowWeights ? n / rowWeights.length : 1;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = f32(a[i] - b[i]);
    const sq = f32(d * d);
    sum = f32(sum + (rowWeights ? f32(rowWeights[Math.floor(i / dim)] * sq) : sq));
  }
  return f32(sum / n);
}

/**
 * (1/2) mean over rows of |a_i - b_i|^2 (rows of `dim`), in float32 arithmetic: the bits of tfjs's
 * `mul(0.5, mean(sum(square(sub(a, b)), 1)))` (each row's sum in order, then the rows' in order).
 */
export function halfMeanRowSquare(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): number {
  const rows = a.length / dim;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let row = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      const d = f32(a[j] - b[j]);
      row = f32(row + f32(d * d));
    }
    sum = f32(sum + row);
  }
  return f32(0.5 * f32(sum / rows));
}

/**
 * d/da of dy * {@link meanSquare}, in float32 arithmetic (the order of tfjs's Mean, Mul, Square and
 * Sub gradients): g_i = ((dy / n) lambda_i) (2 (a_i - b_i)).
 */
export function meanSquareGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dy: number,
  rowWeights?: ArrayLike<number>,
): Float32Array {
  return squareGradient(a, b, f32(f32(dy) / a.length), rowWeights);
}

/** d/da of dy * {@link halfMeanRowSquare}: g_i = ((dy / 2) / rows) (2 (a_i - b_i)), in float32. */
export function halfMeanRowSquareGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
  dy = 1,
): Float32Array {
  return squareGradient(a, b, f32(f32(f32(dy) * 0.5) / (a.length / dim)));
}

/** g_i = (scale lambda_i) (2 (a_i - b_i)) in float32 (lambda_i = 1 without row weights). */
function squareGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  scale: number,
  rowWeights?: ArrayLike<number>,
): Float32Array {
  const n = a.length;
  const dim = rowWeights ? n / rowWeights.length : 1;
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = rowWeights ? f32(scale * rowWeights[Math.floor(i / dim)]) : scale;
    g[i] = s * f32(2 * f32(a[i] - b[i]));
  }
  return g;
}
