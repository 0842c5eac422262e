/**
 * Users' own data: a data set read from a CSV file of the project, with columns `x,y` and an
 * optional integer `label`. Every problem is refused before any work with an error naming the file,
 * the line and the column: a file that is missing or lies outside the project, an empty file, a
 * wrong or missing header, a row with the wrong number of fields, a value that is not a finite
 * number, a label that is not a non-negative integer.
 *
 * The data set is the empirical law of the rows: `sample(n)` draws n rows with replacement.
 */
import { resolve } from "node:path";
import type { Stream } from "../runtime/random.ts";
import { isInside, realPath } from "../runtime/sandbox.ts";
import type { Dataset } from "./dataset.ts";

/** A user data file that cannot be used; names the file, line and column. */
export class DataError extends Error {
  override name = "DataError";
}

/** The parsed rows of a data file. */
export interface CsvData {
  x: Float32Array;
  labels?: Int32Array;
  rows: number;
}

/** A number in decimal notation (no hex, binary, octal, Infinity or NaN spellings). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell or line quoted in a message: at most 40 characters. */
function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 37) + "..." : s);
}

/**
 * Parse CSV text (`name` for messages). Minimum `minRows` data rows. Lines end in LF, CRLF or CR;
 * numbers are decimal and must stay finite once stored as float32 (the precision of training).
 */
export function parseDataCsv(text: string, name: string, minRows = 2): CsvData {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0) {
    throw new DataError(
      `${name}: the file is empty; expected a header "x,y" or "x,y,label" and rows`,
    );
  }
  const header = lines[0].split(",").map((h) => h.trim());
  const ok = header.length >= 2 && header.length <= 3 && header[0] === "x" && header[1] === "y" &&
    (header.length === 2 || header[2] === "label");
  if (!ok) {
    throw new DataError(
      `${name}:1: the header is ${quote(lines[0])}; allowed: "x,y" or "x,y,label"`,
    );
  }
  const withLabels = header.length === 3;
  const rows = lines.length - 1;
  if (rows < minRows) {
    throw new DataError(
      `${name}: ${rows} data row${rows === 1 ? "" : "s"}; at least ${minRows} are needed`,
    );
  }
  const x = new Float32Array(2 * rows);
  const labels = withLabels ? new Int32Array(rows) : undefined;
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i].split(",");
    if (fields.length !== header.length) {
      throw new DataError(
        `${name}:${i + 1}: ${fields.length} field${
          fields.length === 1 ? "" : "s"
        }; the header has ${header.length} (${header.join(",")})`,
      );
    }
    for (let c = 0; c < 2; c++) {
      const raw = fields[c].trim();
      const v = DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(v)) {
        throw new DataError(
          `${name}:${i + 1}:${c + 1}: column ${header[c]} is ${
            quote(raw)
          }; allowed: a finite number in decimal notation`,
        );
      }
      if (!Number.isFinite(Math.fround(v))) {
        throw new DataError(
          `${name}:${i + 1}:${c + 1}: column ${header[c]} is ${
            quote(raw)
          }; allowed: a number whose magnitude fits float32 (below 3.4e38)`,
        );
      }
      x[2 * (i - 1) + c] = v;
    }
    if (labels) {
      const raw = fields[2].trim();
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new DataError(
          `${name}:${i + 1}:3: column label is ${quote(raw)}; allowed: a non-negative integer`,
        );
      }
      labels[i - 1] = Number(raw);
    }
  }
  return { x, labels, rows };
}

/**
 * The real path of a data file named in a config, checked to lie inside the project once every
 * symbolic link is followed (a link out of the project is refused before anything is read).
 */
export function dataPath(root: string, file: string): string {
  // Lexically first (a path outside may not even be resolvable with this task's permissions),
  // then with symbolic links followed.
  const lexical = !file.split(/[\\/]/).includes("..") &&
    isInside(resolve(root, file), resolve(root));
  if (!lexical || !isInside(realPath(resolve(root, file)), realPath(root))) {
    throw new DataError(
      `${
        quote(file)
      }: the data file lies outside the project (symbolic links are followed); allowed: a file inside the project`,
    );
  }
  return realPath(resolve(root, file));
}

/** Read and parse a project data file (synchronously: configs are validated before any work). */
export function readDataCsv(root: string, file: string): CsvData {
  const path = dataPath(root, file);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DataError(`${quote(file)}: no such file`);
    throw new DataError(`${quote(file)}: cannot be read (${(e as Error).name})`);
  }
  return parseDataCsv(text, file);
}

/** The empirical data set of a CSV file. */
export function csvDataset(file: string, data: CsvData): Dataset {
  const classes = data.labels ? Math.max(...data.labels) + 1 : undefined;
  return {
    name: `csv:${file}`,
    dim: 2,
    classes,
    sample(n: number, stream: Stream) {
      const x = new Float32Array(2 * n);
      const labels = data.labels ? new Int32Array(n) : undefined;
      for (let i = 0; i < n; i++) {
        const r = stream.int(data.rows);
        x[2 * i] = data.x[2 * r];
        x[2 * i + 1] = data.x[2 * r + 1];
        if (labels) labels[i] = data.labels![r];
      }
      return { x, labels };
    },
  };
}
