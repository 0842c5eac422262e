/**
 * CSV output. Numbers are written with 9 significant digits, which round-trips float32 exactly,
 * so `samples.csv` is a faithful (and byte-stable) record of the samples.
 */

/** Format one number: integers as is, others with 9 significant digits (exact for float32). */
export function csvNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(9)));
}

function csvCell(v: string | number): string {
  if (typeof v === "number") return csvNumber(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A CSV document from a header and rows. */
export function toCsv(header: string[], rows: Iterable<(string | number)[]>): string {
  const lines = [header.map(csvCell).join(",")];
  for (const r of rows) lines.push(r.map(csvCell).join(","));
  return lines.join("\n") + "\n";
}

/** Rows of a flat row-major array with `dim` columns, each extended by `extra(i)`. */
export function* pointsAsRows(
  x: ArrayLike<number>,
  dim: number,
  extra: (i: number) => (string | number)[] = () => [],
): Generator<(string | number)[]> {
  for (let i = 0; i < x.length / dim; i++) {
    const row: (string | number)[] = [];
    for (let d = 0; d < dim; d++) row.push(x[i * dim + d]);
    yield [...row, ...extra(i)];
  }
}

/** `samples.csv` of 2-D samples: header `x,y`. */
export function samplesCsv(x: ArrayLike<number>, dim = 2): string {
  const header = dim === 1
    ? ["x"]
    : dim === 2
    ? ["x", "y"]
    : Array.from({ length: dim }, (_, d) => `x${d}`);
  return toCsv(header, pointsAsRows(x, dim));
}
