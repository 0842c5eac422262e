/**
 * How the kernel modules are built from their AssemblyScript source: the compiler flags of each
 * build, run in memory (shared by `deno task build:kernels` and the test that checks the committed
 * bytes).
 */
import { fileURLToPath } from "node:url";
import { sha256 } from "../runtime/io.ts";

/** One build of the kernels. */
export interface WasmBuild {
  /** The constant it is exported as in mlp_wasm.ts. */
  name: string;
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

/** Compile both builds in memory. */
export async function wasmBuilds(asc: Asc): Promise<WasmBuild[]> {
  const source = await Deno.readTextFile(
    fileURLToPath(new URL("./assembly/mlp.ts", import.meta.url)),
  );
  const variants = [
    {
      name: "RELAXED_SIMD_WASM",
      features: "simd,relaxed-simd",
      description: "relaxed-SIMD build (FMA where the CPU has it)",
    },
    {
      name: "SIMD_WASM",
      features: "simd",
      description: "plain-SIMD build (separate multiply and add)",
    },
  ];
  const out: WasmBuild[] = [];
  for (const v of variants) {
    let bytes: Uint8Array | null = null;
    let log = "";
    const { error } = await asc.main(
      ["mlp.ts", "-o", "mlp.wasm", "--enable", v.features, ...FLAGS],
      {
        readFile: (name) => Promise.resolve(name === "mlp.ts" ? source : null),
        writeFile: (name, contents) => {
          if (name === "mlp.wasm") bytes = contents as Uint8Array;
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
    out.push({ name: v.name, description: v.description, bytes: b, sha256: await sha256(b) });
  }
  return out;
}

export { decodeBase64, encodeBase64 } from "./base64.ts";
