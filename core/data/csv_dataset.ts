/**
 * Users' own data: a data set read from a CSV file of the project, with columns `x,y` and an
 * optional integer `label`. Every problem is refused before any work with an error naming the file,
 * the line and the column: a file that is missing or lies outside the project, an empty file, a
 * wrong or missing header, a row with the wrong number of fields, a value that is not a finite
 * number, a label that is not a non-negative integer.
 *
 * The data set is the empirical law of the rows: `sample(n)` draws n rows with replacement.
 */
import { isAbsolute, relative, resolve } from "node:path";
import type { Stream } from "../runtime/random.ts";
import type { Dataset } from "./datasets.ts";

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

/** Parse CSV text (`name` for messages). Minimum `minRows` data rows. */
export function parseDataCsv(text: string, name: string, minRows = 2): CsvData {
  const lines = text.split(/\r?\n/);
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
    throw new DataError(`${name}:1: the header is "${lines[0]}"; allowed: "x,y" or "x,y,label"`);
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
      const v = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        throw new DataError(
          `${name}:${i + 1}:${c + 1}: column ${header[c]} is "${raw}"; allowed: a finite number`,
        );
      }
      x[2 * (i - 1) + c] = v;
    }
    if (labels) {
      const raw = fields[2].trim();
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new DataError(
          `${name}:${i + 1}:3: column label is "${raw}"; allowed: a non-negative integer`,
        );
      }
      labels[i - 1] = Number(raw);
    }
  }
  return { x, labels, rows };
}

/** The path of a data file named in a config, checked to lie inside the project. */
export function dataPath(root: string, file: string): string {
  const p = resolve(root, file);
  const rel = relative(root, p);
  if (file.split(/[\\/]/).includes("..") || rel.startsWith("..") || isAbsolute(rel)) {
    throw new DataError(
      `${file}: the data file lies outside the project; allowed: a path inside ${root}`,
    );
  }
  return p;
}

/** Read and parse a project data file (synchronously: configs are validated before any work). */
export function readDataCsv(root: string, file: string): CsvData {
  const path = dataPath(root, file);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DataError(`${file}: no such file`);
    throw new DataError(`${file}: cannot be read (${(e as Error).message})`);
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
