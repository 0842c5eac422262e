/**
 * `deno task bench`: run the Deno.bench groups, run ../shared/bench/torch_ref.py three times in the
 * same run (when /usr/bin/python3 has torch), and write reports/bench.json and the page
 * reports/bench/index.html: for each bench our time (mean, and the min-p75 spread of its
 * iterations), PyTorch's for the same work (median of the three runs, and their min-max), the ratio
 * torch / ours (above 1: we are faster) with its spread, the GFLOP/s a training step reaches against
 * the measured 128-bit madd ceiling of this machine (a roofline), and the issue's targets met or
 * missed.
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
import { MADD_PEAK_BENCH, MADD_PEAK_FLOPS } from "./peak.ts";

interface TorchRef {
  train_us_per_step: number;
  sample_seconds: number;
  scorenet_dsm_us_per_step: number;
  scorenet_exact_sm_us_per_step: number;
  ncsn_us_per_step: number;
  threads: number;
  torch: string;
}

/** tfjs benches that PyTorch also times, and how to read PyTorch's figure (ms) for them. */
const PAIRS: Record<string, (t: TorchRef) => number> = {
  "train step: ddpm (seed network)": (t) => t.train_us_per_step / 1000,
  "train step: ddpm (seed network), after 2000 steps at the seed's lr": (t) =>
    t.train_us_per_step / 1000,
  "train step: ddpm, 2 shards on 2 workers": (t) => t.train_us_per_step / 1000,
  "train step: ddpm, 2 shards, shared memory (this thread + 1 worker)": (t) =>
    t.train_us_per_step / 1000,
  "train step: ScoreNet2D, DSM (softplus 128x3)": (t) => t.scorenet_dsm_us_per_step / 1000,
  "train step: ScoreNet2D, exact SM (forward-mode J)": (t) =>
    t.scorenet_exact_sm_us_per_step / 1000,
  "train step: ScoreNet2D, exact SM (forward-mode J, tfjs autodiff)": (t) =>
    t.scorenet_exact_sm_us_per_step / 1000,
  "train step: NCSN step as the seed (silu 128x3, batch 128)": (t) => t.ncsn_us_per_step / 1000,
  "ddpm sample 5000 x 200 steps (serial)": (t) => t.sample_seconds * 1000,
  "ddpm sample 5000 x 200 steps (2 workers)": (t) => t.sample_seconds * 1000,
};

/** Multiply-adds per row of an MLP's forward pass (x, features, layers). */
const mlpMacs = (widths: number[]) => widths.slice(1).reduce((a, w, i) => a + widths[i] * w, 0);

/**
 * FLOPs of one training step (forward + backward, ~3 forward passes) where they are known: the
 * roofline compares the GFLOP/s a step reaches with the kernel's ceiling.
 */
const FLOPS: Record<string, number> = {
  "train step: ddpm (seed network)": 6 * 256 * mlpMacs([18, 128, 128, 2]),
  "train step: ScoreNet2D, DSM (softplus 128x3)": 6 * 256 * mlpMacs([2, 128, 128, 128, 2]),
  "train step: NCSN step as the seed (silu 128x3, batch 128)": 6 * 128 *
    mlpMacs([3, 128, 128, 128, 2]),
  "kernel: gemm 256x128 @ 128x128": 2 * 256 * 128 * 128,
  "kernel: weight gradient 128x256 @ 256x128 (A^T B)": 2 * 256 * 128 * 128,
  "kernel: weight gradient by transpose + gemm (the fused op's way)": 2 * 256 * 128 * 128,
  "tfjs matMul 256x128 @ 128x128": 2 * 256 * 128 * 128,
  [MADD_PEAK_BENCH]: MADD_PEAK_FLOPS,
};

/** The issue's speed targets: ratio torch / ours at least this much. */
const TARGETS: Record<string, number> = {
  "train step: ddpm (seed network)": 0.8,
  "train step: ScoreNet2D, DSM (softplus 128x3)": 0.8,
  "ddpm sample 5000 x 200 steps (2 workers)": 1.2,
};

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
  results: { ok?: { avg: number; min: number; p75: number; n: number } }[];
}[];

const torchRuns: TorchRef[] = [];
let torchNote = "";
const script = join(PROJECT_ROOT, "..", "shared", "bench", "torch_ref.py");
try {
  await Deno.stat(script);
  for (let i = 0; i < 3 && !torchNote; i++) {
    const r = await new Deno.Command("/usr/bin/python3", {
      args: [script, "--threads", "1", "--steps", "2000", "--samples", "5000"],
      env: { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (r.success) torchRuns.push(JSON.parse(dec.decode(r.stdout).trim().split("\n").pop()!));
    else torchNote = `torch_ref.py failed: ${dec.decode(r.stderr).trim().split("\n").pop()}`;
  }
} catch (e) {
  torchNote = `no PyTorch reference (${(e as Error).message.split("\n")[0]})`;
}
let blas = "unknown";
try {
  blas = await Deno.realPath("/usr/lib/x86_64-linux-gnu/libblas.so.3");
} catch { /* not Debian's layout */ }

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p = (v: number) => Number(v.toPrecision(3));
// The machine's 128-bit madd peak (independent chains, no memory) at its best iteration.
const ceilingBench = benches.find((b) => b.name === MADD_PEAK_BENCH);
const ceiling = ceilingBench?.results[0].ok
  ? FLOPS[ceilingBench.name] / (ceilingBench.results[0].ok.min / 1e9) / 1e9
  : null;

const rows = benches.map((b) => {
  const ok = b.results[0].ok;
  const ours = (ok?.avg ?? NaN) / 1e6, oursMin = (ok?.min ?? NaN) / 1e6;
  const oursP75 = (ok?.p75 ?? NaN) / 1e6;
  const pair = PAIRS[b.name];
  const torch = torchRuns.length && pair ? torchRuns.map(pair) : null;
  const flops = FLOPS[b.name];
  const ratio = torch ? median(torch) / ours : null;
  const target = TARGETS[b.name];
  return {
    name: b.name,
    group: b.group,
    ms: p(ours),
    msSpread: [p(oursMin), p(oursP75)],
    torchMs: torch ? p(median(torch)) : null,
    torchSpread: torch ? [p(Math.min(...torch)), p(Math.max(...torch))] : null,
    ratio: ratio === null ? null : p(ratio),
    ratioSpread: torch ? [p(Math.min(...torch) / oursP75), p(Math.max(...torch) / oursMin)] : null,
    gflops: flops ? p(flops / (ours / 1000) / 1e9) : null,
    ceilingGflops: flops && ceiling ? p(ceiling) : null,
    target: target ?? null,
    met: target !== undefined && ratio !== null ? ratio >= target : null,
  };
});
await writeJsonAtomic(join(PROJECT_ROOT, "reports", "bench.json"), {
  date: new Date().toISOString(),
  torch: torchRuns[0]?.torch ?? null,
  blas,
  ceilingGflops: ceiling === null ? null : p(ceiling),
  rows,
});
await writePage();

const w = Math.max(...rows.map((r) => r.name.length));
console.log(
  `\n${
    "benchmark".padEnd(w)
  }  ours ms (min-p75)        torch ms (min-max)     torch/ours (range)    GFLOP/s  target`,
);
for (const r of rows) {
  const range = (a: number[] | null) => (a ? `${a[0]}-${a[1]}` : "");
  console.log(
    `${r.name.padEnd(w)}  ${`${r.ms} (${range(r.msSpread)})`.padEnd(24)} ${
      `${r.torchMs ?? "-"} (${range(r.torchSpread)})`.padEnd(22)
    } ${`${r.ratio ?? "-"} (${range(r.ratioSpread)})`.padEnd(21)} ${
      String(r.gflops ?? "").padStart(7)
    }  ${r.target === null ? "" : `>= ${r.target} ${r.met ? "met" : "MISSED"}`}`,
  );
}
console.log(
  torchRuns.length
    ? `\nPyTorch ${torchRuns[0].torch}, ${
      torchRuns[0].threads
    } thread, 3 runs, libblas.so.3 -> ${blas}`
    : `\n${torchNote}`,
);
if (ceiling) {
  console.log(`ceiling (128-bit madd peak, best iteration): ${ceiling.toFixed(1)} GFLOP/s`);
}
console.log("wrote reports/bench.json and reports/bench/index.html");

/** reports/bench/index.html: the times per group, the ratios and the roofline. */
async function writePage() {
  const dir = join(PROJECT_ROOT, "reports", "bench");
  await Deno.mkdir(dir, { recursive: true });
  await writeSiteAssets(join(PROJECT_ROOT, "reports"));
  const charts = [...new Set(rows.map((r) => r.group))].map((group, i) => ({
    name: `group-${i}`,
    title: group,
    caption: `Mean wall time per iteration (ms, log scale) on this machine, ${
      new Date().toISOString().slice(0, 10)
    }; PyTorch (1 thread, median of 3 runs) beside the work it also does.`,
    spec: barChart({
      title: `${group}: ms per iteration`,
      rows: rows.filter((r) => r.group === group).flatMap((r) => [
        { bench: r.name, engine: "scorelab", ms: r.ms },
        ...(r.torchMs === null ? [] : [{ bench: r.name, engine: "PyTorch", ms: r.torchMs }]),
      ]),
      x: { field: "bench", title: "" },
      y: { field: "ms", title: "ms (log)", log: true },
      color: { field: "engine", title: "engine" },
      width: 620,
    }),
  }));
  const roofline = rows.filter((r) => r.gflops !== null);
  if (roofline.length && ceiling) {
    charts.push({
      name: "roofline",
      title: "Roofline: GFLOP/s reached against the machine's 128-bit ceiling",
      caption:
        `GFLOP/s of each step (its FLOPs over its mean time; training steps counted as three forward ` +
        `passes) against the ceiling, 128-bit madds in independent chains at their best: ${
          ceiling.toFixed(1)
        } GFLOP/s.`,
      spec: barChart({
        title: "GFLOP/s reached",
        rows: [
          ...roofline.map((r) => ({ bench: r.name, what: "reached", gflops: r.gflops })),
          { bench: "ceiling (128-bit madd peak, best)", what: "ceiling", gflops: p(ceiling) },
        ],
        x: { field: "bench", title: "" },
        y: { field: "gflops", title: "GFLOP/s" },
        color: { field: "what", title: "" },
        width: 620,
      }),
    });
  }
  for (const c of charts) {
    await writeJsonAtomic(join(dir, `${c.name}.vl.json`), c.spec);
    await writeFileAtomic(join(dir, `${c.name}.svg`), await renderSvg(c.spec));
  }
  const html = experimentPage({
    name: "bench",
    title: "Benchmarks",
    description:
      "deno task bench: Deno.bench groups of the harness's work, and the ratio PyTorch time / our " +
      "time where ../shared/bench/torch_ref.py does the same work (above 1: we are faster), with its " +
      "spread (PyTorch's fastest and slowest of 3 runs against our p75 and fastest iteration).",
    profile: "bench",
    verdict: "not compared",
    metrics: rows.map((r) => ({
      name: r.name,
      value: r.ms,
      unit: "ms",
      description: [
        r.group,
        r.msSpread && `spread ${r.msSpread[0]}-${r.msSpread[1]} ms`,
        r.torchMs !== null &&
        `PyTorch ${r.torchMs} ms (${r.torchSpread![0]}-${r.torchSpread![1]}); ratio ${r.ratio} (${
          r.ratioSpread![0]
        }-${r.ratioSpread![1]})`,
        r.gflops !== null && `${r.gflops} GFLOP/s of a ${ceiling?.toFixed(1)} ceiling`,
        r.target !== null && `target >= ${r.target}: ${r.met ? "met" : "missed"}`,
      ].filter(Boolean).join("; "),
    })),
    charts,
    notes: [
      torchRuns.length
        ? `PyTorch ${torchRuns[0].torch}, ${torchRuns[0].threads} thread, libblas.so.3 -> ${blas}`
        : torchNote,
    ],
    files: ["../bench.json"],
    config: { torchArgs: ["--threads", "1", "--steps", "2000", "--samples", "5000"], repeats: 3 },
    provenance: { deno: Deno.version.deno, v8: Deno.version.v8 },
    root: "../",
    timing: { date: new Date().toISOString() },
  });
  await writeFileAtomic(join(dir, "index.html"), html);
}
