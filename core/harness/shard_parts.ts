/**
 * The parts a shard ran of a split run (`shard.ts`), kept for `merge`: each part's output in its
 * own file under `<shard>/parts/<run folder>/`, in V8's structured-clone format (the format a part's
 * output already crosses workers in: typed arrays keep their bits), listed with its sha256 in the
 * shard's summary.json. Reading one back checks the file against its sha256 and its place.
 */
import { deserialize, serialize } from "node:v8";
import { join } from "node:path";
import type { PartOutput } from "./experiment.ts";
import { sha256, writeFileAtomic } from "../runtime/io.ts";
import { checkRead } from "../runtime/sandbox.ts";

/**
 * A part of a split run as a shard leaves it for `merge` (which assembles the run): its output or
 * its error, and its seconds.
 */
export interface ShardPart {
  run: string;
  folder: string;
  part: string;
  seconds: number;
  phases?: Record<string, number>;
  output?: PartOutput;
  error?: string;
}

/** A shard part as summary.json lists it: the output's file (under the shard) or the error. */
export interface ShardPartEntry {
  run: string;
  folder: string;
  part: string;
  seconds: number;
  phases?: Record<string, number>;
  /** The output's file, relative to the shard folder. */
  file?: string;
  sha256?: string;
  error?: string;
}

/** The output file of `part` of the run in `folder`, relative to the shard folder. */
function partFile(folder: string, part: string): string {
  return join("parts", folder, `${encodeURIComponent(part)}.v8`);
}

/** Write each part's output under `outDir` (atomically); the entries for summary.json. */
export async function writeShardParts(
  outDir: string,
  parts: ShardPart[],
): Promise<ShardPartEntry[]> {
  const entries: ShardPartEntry[] = [];
  for (const { output, ...p } of parts) {
    if (p.error !== undefined) {
      entries.push(p);
      continue;
    }
    const bytes = new Uint8Array(serialize(output));
    const file = partFile(p.folder, p.part);
    await writeFileAtomic(join(outDir, file), bytes);
    entries.push({ ...p, file, sha256: await sha256(bytes) });
  }
  return entries;
}

/**
 * The output of a listed part, read from the shard folder `dir`. Throws, naming the file, when the
 * entry is malformed, the file is missing, outside the shard, or its bytes are not the listed ones.
 */
export async function readShardPart(dir: string, e: ShardPartEntry): Promise<PartOutput> {
  const file = partFile(e.folder, e.part);
  if (e.file !== file || typeof e.sha256 !== "string") {
    throw new Error(`part ${e.part} of ${e.run}: listed as ${e.file}, expected ${file}`);
  }
  const path = checkRead(join(dir, file), "part output");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new Error(`${file}: missing (the shard folder is incomplete)`);
  }
  if (await sha256(bytes) !== e.sha256) {
    throw new Error(`${file}: its bytes are not the ones its shard listed (sha256 differs)`);
  }
  try {
    return deserialize(bytes) as PartOutput;
  } catch {
    throw new Error(`${file}: not a part output (cannot be read back)`);
  }
}
