/**
 * `deno task bench`: run the Deno.bench groups, run ../shared/bench/torch_ref.py in the same run
 * (when /usr/bin/python3 has torch), and write reports/bench.json, an array of
 * {name, tfjs_ms, torch_ms, ratio} with ratio = torch_ms / tfjs_ms (above 1: we are faster).
 *
 * PyTorch runs at its best setting here: one thread (OMP/OpenBLAS pinned to 1; two threads are 2-4x
 * slower on these small layers). Debian's torch uses whatever libblas.so.3 the system selects: with
 * the reference BLAS it is ~8x slower than with OpenBLAS, so the BLAS in use is printed beside the
 * numbers (install libopenblas0-pthread for a fair comparison).
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../core/harness/cli.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../core/runtime/io.ts";
import { barChart } from "../../core/report/charts.ts";
import { renderSvg } from "../../core/report/render.ts";
import { experimentPage } from "../../core/report/site.ts";
import { writeSiteAssets } from "../../core/report/assets.ts";

/** tfjs benches that PyTorch also times, and how to read PyTorch's figure for them. */
const PAIRS: Record<string, (t: TorchRef) => number> = {
  "train step: ddpm (seed network)": (t) => t.train_us_per_step / 1000,
  "train step: ddpm, 2 shards on 2 workers": (t) => t.train_us_per_step / 1000,
  "ddpm sample 5000 x 200 steps (serial)": (t) => t.sample_seconds * 1000,
  "ddpm sample 5000 x 200 steps (2 workers)": (t) => t.sample_seconds * 1000,
};

interface TorchRef {
  train_us_per_step: number;
  sample_seconds: number;
  threads: number;
  torch: string;
}

const dec = new TextDecoder();
const benchRun = await new Deno.Command(Deno.execPath(), {
  args: ["bench", "--json", "--no-prompt", "--allow-read=.", "tests/bench/"],
  cwd: PROJECT_ROOT,
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!benchRun.success) {
  console.error("deno bench failed");
  Deno.exit(1);
}
const benches = JSON.parse(dec.decode(benchRun.stdout)).benches as {
  name: string;
  group: string;
  results: { ok?: { avg: number; n: number } }[];
}[];

let torch: TorchRef | null = null;
let torchNote = "";
const script = join(PROJECT_ROOT, "..", "shared", "bench", "torch_ref.py");
try {
  await Deno.stat(script);
  const r = await new Deno.Command("/usr/bin/python3", {
    args: [script, "--threads", "1", "--steps", "2000", "--samples", "5000"],
    env: { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (r.success) torch = JSON.parse(dec.decode(r.stdout).trim().split("\n").pop()!);
  else torchNote = `torch_ref.py failed: ${dec.decode(r.stderr).trim().split("\n").pop()}`;
} catch (e) {
  torchNote = `no PyTorch reference (${(e as Error).message.split("\n")[0]})`;
}
let blas = "unknown";
try {
  blas = await Deno.realPath("/usr/lib/x86_64-linux-gnu/libblas.so.3");
} catch { /* not Debian's layout */ }

const rows = benches.map((b) => {
  const tfjs = (b.results[0].ok?.avg ?? NaN) / 1e6;
  const pair = PAIRS[b.name];
  const torchMs = torch && pair ? pair(torch) : null;
  return {
    name: b.name,
    group: b.group,
    tfjs_ms: Number(tfjs.toPrecision(4)),
    torch_ms: torchMs === null ? null : Number(torchMs.toPrecision(4)),
    ratio: torchMs === null ? null : Number((torchMs / tfjs).toPrecision(3)),
  };
});
await writeJsonAtomic(join(PROJECT_ROOT, "reports", "bench.json"), rows);
await writePage();

const w = Math.max(...rows.map((r) => r.name.length));
console.log(`\n${"benchmark".padEnd(w)}  tfjs ms   torch ms  torch/tfjs`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(w)}  ${String(r.tfjs_ms).padStart(8)}  ${
      String(r.torch_ms ?? "-").padStart(8)
    }  ${String(r.ratio ?? "-").padStart(10)}`,
  );
}
console.log(
  torch
    ? `\nPyTorch ${torch.torch}, ${torch.threads} thread, libblas.so.3 -> ${blas}`
    : `\n${torchNote}`,
);
console.log("wrote reports/bench.json and reports/bench/index.html");

/** reports/bench/index.html: the times per group and the PyTorch ratios, as charts and a table. */
async function writePage() {
  const dir = join(PROJECT_ROOT, "reports", "bench");
  await Deno.mkdir(dir, { recursive: true });
  await writeSiteAssets(join(PROJECT_ROOT, "reports"));
  const charts = [...new Set(rows.map((r) => r.group))].map((group, i) => ({
    name: `group-${i}`,
    title: group,
    caption: `Mean wall time per iteration (ms, log scale) on this machine, ${
      new Date().toISOString().slice(0, 10)
    }; PyTorch (1 thread) beside the work it also does.`,
    spec: barChart({
      title: `${group}: ms per iteration`,
      rows: rows.filter((r) => r.group === group).flatMap((r) => [
        { bench: r.name, engine: "tfjs-wasm", ms: r.tfjs_ms },
        ...(r.torch_ms === null ? [] : [{ bench: r.name, engine: "PyTorch", ms: r.torch_ms }]),
      ]),
      x: { field: "bench", title: "" },
      y: { field: "ms", title: "ms (log)", log: true },
      color: { field: "engine", title: "engine" },
      width: 620,
    }),
  }));
  for (const c of charts) {
    await writeJsonAtomic(join(dir, `${c.name}.vl.json`), c.spec);
    await writeFileAtomic(join(dir, `${c.name}.svg`), await renderSvg(c.spec));
  }
  const html = experimentPage({
    name: "bench",
    title: "Benchmarks",
    description:
      "deno task bench: Deno.bench groups of the harness's work, and the ratio PyTorch " +
      "time / tfjs time where ../shared/bench/torch_ref.py does the same work (above 1: tfjs is faster).",
    profile: "bench",
    verdict: "not compared",
    metrics: rows.map((r) => ({
      name: r.name,
      value: r.tfjs_ms,
      unit: "ms",
      description: r.ratio === null
        ? r.group
        : `${r.group}; PyTorch ${r.torch_ms} ms, ratio torch/tfjs ${r.ratio}`,
    })),
    charts,
    notes: [
      torch
        ? `PyTorch ${torch.torch}, ${torch.threads} thread, libblas.so.3 -> ${blas}`
        : torchNote,
    ],
    files: ["../bench.json"],
    config: { torchArgs: ["--threads", "1", "--steps", "2000", "--samples", "5000"] },
    provenance: { deno: Deno.version.deno, v8: Deno.version.v8 },
    root: "../",
    timing: { date: new Date().toISOString() },
  });
  await writeFileAtomic(join(dir, "index.html"), html);
}
