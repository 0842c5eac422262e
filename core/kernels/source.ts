/**
 * How the kernel modules are built from their AssemblyScript source: the compiler flags of each
 * build, run in memory (shared by `deno task build:kernels` and the test that checks the committed
 * bytes).
 */
import { fileURLToPath } from "node:url";
import { sha256 } from "../runtime/io.ts";

/** One build of the kernels. */
export interface WasmBuild {
  /** The constant it is exported as. */
  name: string;
  /** The generated file holding it (mlp_wasm.ts, mmd_wasm.ts). */
  file: string;
  description: string;
  bytes: Uint8Array;
  sha256: string;
}

const FLAGS = [
  "--runtime",
  "stub",
  "--importMemory",
  "--noAssert",
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--converge",
  "--noExportMemory",
];

/** The AssemblyScript compiler's `main` (from `assemblyscript/asc`). */
export interface Asc {
  main(
    argv: string[],
    options: {
      readFile(name: string, baseDir: string): Promise<string | null>;
      writeFile(name: string, contents: Uint8Array | string, baseDir: string): Promise<void>;
      listFiles(dir: string, baseDir: string): Promise<string[] | null>;
      stdout: { write(s: string): void };
      stderr: { write(s: string): void };
    },
  ): Promise<{ error: Error | null }>;
}

/** The builds: the network kernels twice (relaxed and plain SIMD), the MMD sums once. */
const VARIANTS = [
  {
    name: "RELAXED_SIMD_WASM",
    source: "mlp.ts",
    file: "mlp_wasm.ts",
    features: "simd,relaxed-simd",
    description: "relaxed-SIMD build (FMA where the CPU has it)",
  },
  {
    name: "SIMD_WASM",
    source: "mlp.ts",
    file: "mlp_wasm.ts",
    features: "simd",
    description: "plain-SIMD build (separate multiply and add)",
  },
  {
    name: "MMD_WASM",
    source: "mmd.ts",
    file: "mmd_wasm.ts",
    // float64 bits must equal the JavaScript loops': never relaxed (no fused multiply-add)
    features: "simd",
    description: "MMD kernel sums, float64, plain SIMD",
  },
];

/** Compile every build in memory. */
export async function wasmBuilds(asc: Asc): Promise<WasmBuild[]> {
  const out: WasmBuild[] = [];
  for (const v of VARIANTS) {
    const source = await Deno.readTextFile(
      fileURLToPath(new URL(`./assembly/${v.source}`, import.meta.url)),
    );
    let bytes: Uint8Array | null = null;
    let log = "";
    const { error } = await asc.main(
      [v.source, "-o", "out.wasm", "--enable", v.features, ...FLAGS],
      {
        readFile: (name) => Promise.resolve(name === v.source ? source : null),
        writeFile: (name, contents) => {
          if (name === "out.wasm") bytes = contents as Uint8Array;
          return Promise.resolve();
        },
        listFiles: () => Promise.resolve([]),
        stdout: { write: (s) => void (log += s) },
        stderr: { write: (s) => void (log += s) },
      },
    );
    if (error || !bytes) {
      throw new Error(`AssemblyScript build ${v.name} failed: ${error?.message}\n${log}`);
    }
    const b = bytes as Uint8Array;
    out.push({
      name: v.name,
      file: v.file,
      description: v.description,
      bytes: b,
      sha256: await sha256(b),
    });
  }
  return out;
}

export { decodeBase64, encodeBase64 } from "../runtime/base64.ts";
