/**
 * Writing one run's folder, as a whole (staged, then swapped in): metrics.json, timing.json, the
 * run's files, every chart as a Vega-Lite spec and its SVG, and the page. Everything but
 * timing.json and the page's timing section is a function of the code, config and seed: the same
 * bytes from any worker, shard or machine.
 */
import { join } from "node:path";
import { metricFamily, metricSpec } from "../spec/metrics.ts";
import type { Plan } from "./plan.ts";
import type { Executed } from "./execute.ts";
import type { GoldenCheck } from "./check.ts";
import type { BackendInfo } from "../runtime/backend.ts";
import { stageDirectory, writeFileAtomic, writeJsonAtomic } from "../runtime/io.ts";
import { renderSvg } from "../report/render.ts";
import { experimentPage, type PageChart, type PageMetric } from "../report/site.ts";
import type { SensitivityRow } from "./sensitivity.ts";

/** What the folder's page needs besides the run. */
export interface FolderContext {
  outDir: string;
  backend: BackendInfo;
  commit: string | null;
  /** The golden's sensitivity table (what the check can see), if it has one. */
  power?: SensitivityRow[];
  /** Testing hook: pause this long after each file written into the staging folder. */
  writeDelayMs?: number;
  /** A run with parts: the seconds each part took, and its phases' (they show in the timing). */
  partSeconds?: Record<string, number>;
  partPhases?: Record<string, Record<string, number>>;
}

/** Write the folder of a finished run. */
export async function writeRunFolder(
  p: Plan,
  r: Executed,
  check: GoldenCheck,
  o: FolderContext,
): Promise<void> {
  const { exp } = p;
  const { out } = r;
  const stage = await stageDirectory(join(o.outDir, p.folder));
  const pause = () =>
    o.writeDelayMs ? new Promise((res) => setTimeout(res, o.writeDelayMs)) : Promise.resolve();
  try {
    const partTotal = Object.values(o.partSeconds ?? {}).reduce((a, b) => a + b, 0);
    const timing = {
      date: new Date().toISOString(),
      wallSeconds: partTotal + r.wallSeconds,
      phases: {
        ...Object.fromEntries(
          Object.entries(o.partPhases ?? {}).flatMap(([part, phases]) =>
            Object.entries(phases).map(([k, v]) => [`${part}: ${k}`, v])
          ),
        ),
        ...r.progress.timings(),
      },
      ...(o.partSeconds && Object.keys(o.partSeconds).length
        ? { parts: o.partSeconds, assemblySeconds: r.wallSeconds }
        : {}),
      measured: out.timings ?? {},
    };
    await writeJsonAtomic(join(stage.dir, "metrics.json"), {
      experiment: exp.name,
      title: exp.title,
      runId: p.runId,
      profile: p.profile,
      seed: p.seed,
      configHash: p.configHash,
      config: p.config,
      metrics: out.metrics,
      details: out.details ?? {},
      provenance: { versions: o.backend, gitCommit: o.commit, samplesSha256: r.samplesSha256 },
    });
    await writeJsonAtomic(join(stage.dir, "timing.json"), timing);
    await pause();
    for (const f of out.files) {
      await writeFileAtomic(join(stage.dir, f.name), f.content);
      await pause();
    }
    const charts: PageChart[] = [], timingCharts: PageChart[] = [];
    for (const c of out.charts) {
      const name = c.timing ? `timing-${c.name}` : c.name;
      await writeJsonAtomic(join(stage.dir, `${name}.vl.json`), c.spec);
      await writeFileAtomic(join(stage.dir, `${name}.svg`), await renderSvg(c.spec));
      await pause();
      (c.timing ? timingCharts : charts).push({
        name,
        title: c.title,
        caption: c.caption,
        spec: c.spec,
      });
    }
    const html = experimentPage({
      name: exp.name,
      title: p.runId ? `${exp.title}: ${p.runId}` : exp.title,
      description: exp.description,
      profile: p.runId ? `${p.profile}, sweep run` : p.profile,
      verdict: check.verdict,
      verdictDetail: check.detail,
      metrics: pageMetrics(p, out.metrics, check),
      charts,
      notes: out.notes ?? [],
      files: ["metrics.json", "timing.json", ...out.files.map((f) => f.name)],
      config: p.config,
      root: "../".repeat(p.folder.split("/").length),
      power: o.power,
      reproducible: !p.runId,
      provenance: {
        seed: p.seed,
        "config hash": p.configHash,
        "git commit": o.commit ?? "not a git checkout",
        deno: o.backend.deno,
        tfjs: o.backend.tfjs,
        backend: `${o.backend.backend} (SIMD ${
          o.backend.simd ? "on" : "off"
        }, ${o.backend.threads} thread)`,
        "samples.csv sha256": r.samplesSha256 ?? "–",
      },
      timing: {
        date: timing.date,
        "wall time": `${timing.wallSeconds.toFixed(1)} s${
          o.partSeconds && Object.keys(o.partSeconds).length
            ? ` (parts: ${
              Object.entries(o.partSeconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")
            }; assembly ${r.wallSeconds.toFixed(1)} s)`
            : ""
        }`,
        phases: Object.entries(timing.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", "),
      },
      timingCharts,
    });
    await writeFileAtomic(join(stage.dir, "index.html"), html);
    stage.commit();
  } catch (e) {
    stage.abort();
    throw e;
  }
}

/** The page's metric rows: value, the golden's value for this seed, the quality rule it met. */
function pageMetrics(
  p: Plan,
  metrics: Record<string, number>,
  check: GoldenCheck,
): PageMetric[] {
  const judged = new Map(check.quality.checks.map((c) => [c.metric, c]));
  return Object.entries(metrics).map(([name, value]) => {
    const spec = metricSpec(p.exp.metrics, name)!;
    const c = judged.get(name);
    return {
      name,
      value,
      description: spec.description,
      unit: spec.unit,
      better: spec.better,
      golden: check.goldenValues?.[name],
      gate: c?.rule ?? "reported, not judged",
      status: c ? (c.ok ? "ok" : "out") : undefined,
      headline: spec.headline,
      family: metricFamily(p.exp.metrics, name),
    };
  });
}
