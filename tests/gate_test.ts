/**
 * The golden check's two layers, against hand-built goldens: statistics with known values, the
 * single-run band, the sweep test, exact bands, stale goldens, and the degradations.
 */
import assert from "node:assert/strict";
import {
  holmRejects,
  incompleteBeta,
  studentTCdf,
  studentTQuantile,
  summary,
  welchGreater,
} from "../core/metrics/statistics.ts";
import {
  exactBand,
  judgeRun,
  judgeSweep,
  leaveOneOutAlarms,
  NUMERIC_BANDS,
  predictiveP,
  RUN_ALPHA,
  seedBand,
} from "../core/harness/gate.ts";
import {
  compareRun,
  formatDiff,
  type Golden,
  GoldenFileError,
  isFailing,
  readGolden,
  sealGolden,
  SEVERITY,
  worstVerdict,
} from "../core/harness/golden.ts";
import { checkRun } from "../core/harness/check.ts";
import { blur, dropMode, moveMass, scaleLaw } from "../core/metrics/degrade.ts";
import { nearestMode, ring8Mixture } from "../core/data/mixtures.ts";
import { Streams } from "../core/runtime/random.ts";
import type { MetricSpec } from "../core/spec/metrics.ts";
import { DATASETS } from "../core/data/datasets.ts";
import { mixtureLogDensity, MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { vpSde } from "../core/noise/sde.ts";
import { nll } from "../core/likelihood.ts";
import { backend, syntheticGolden } from "./helpers.ts";

const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("Student's t: CDF and quantiles match tables; incomplete beta closed forms", () => {
  // Tables (two-sided 0.05 and one-sided 0.01 critical values).
  near(studentTQuantile(0.975, 1), 12.7062, 1e-3, "t_.975,1");
  near(studentTQuantile(0.975, 9), 2.2622, 1e-4, "t_.975,9");
  near(studentTQuantile(0.99, 4), 3.7469, 1e-4, "t_.99,4");
  near(studentTQuantile(0.99, 9), 2.8214, 1e-4, "t_.99,9");
  near(studentTQuantile(0.5, 7), 0, 1e-6, "median");
  near(studentTQuantile(0.975, 1e6), 1.95996, 1e-4, "normal limit");
  near(studentTCdf(-2.2622, 9), 0.025, 1e-5, "lower tail");
  // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1-x)^b.
  near(incompleteBeta(0.3, 1, 1), 0.3, 1e-12, "I(1,1)");
  near(incompleteBeta(0.3, 2.5, 1), 0.3 ** 2.5, 1e-12, "I(a,1)");
  near(incompleteBeta(0.3, 1, 4), 1 - 0.7 ** 4, 1e-12, "I(1,b)");
});

Deno.test("Welch's test and Holm's correction", () => {
  const a = [1, 2, 3, 4, 5], b = [3, 4, 5, 6, 7];
  const w = welchGreater(a, b);
  // Equal variances 2.5, n 5: t = 2 / 1 = 2, df = 8, p = 1 - F(2; 8) = 0.04025.
  near(w.t, 2, 1e-12, "t");
  near(w.df, 8, 1e-12, "df");
  near(w.p, 0.040258, 1e-5, "p");
  assert.ok(welchGreater(b, a).p > 0.9, "the other direction is not significant");
  assert.equal(welchGreater([1, 1, 1], [2, 2, 2]).p, 0, "constants: exact");
  assert.equal(welchGreater([1, 1, 1], [1, 1, 1]).p, 1, "equal constants");
  assert.deepEqual(holmRejects([0.001, 0.04, 0.02, 0.5], 0.05), [true, false, false, false]);
  assert.deepEqual(holmRejects([0.001, 0.012, 0.02, 0.5], 0.05), [true, true, true, false]);
  // Step-down: once one is kept, every larger p is kept, even below its own threshold.
  assert.deepEqual(holmRejects([0.004, 0.0045, 0.005], 0.01), [false, false, false]);
  // Unequal variances and sizes (Welch's example 2 on Wikipedia: t = 2.22, df = 24.5, two-sided
  // p = 0.0355). t and df by the definition in float64 and p by Simpson's rule on the t density,
  // in Python: a pooled df (28) would give p = 0.0171.
  const w2 = welchGreater(
    [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0],
    [28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9]
      .concat([21.6, 24.3, 20.4, 23.9, 13.3]),
  );
  near(w2.t, 2.2255120399698485, 1e-12, "Welch t");
  near(w2.df, 24.524634944257343, 1e-9, "Welch-Satterthwaite df");
  near(w2.p, 0.017742265415004687, 1e-7, "Welch p");
  assert.deepEqual(summary([2, 2, 2]), { n: 3, mean: 2, sd: 0, min: 2, max: 2 });
});

/** A golden with seeds 0..n-1 of one lower-is-better metric `m` and one exact metric `e`. */
function golden(values: number[], extra: Partial<Golden> = {}): Golden {
  return {
    ...syntheticGolden(
      {
        m: { kind: "seeds", better: "lower" },
        e: { kind: "exact", precision: "float64" },
        r: { kind: "report" },
      },
      values.map((v, seed) => ({
        seed,
        metrics: { m: v, e: 10 + seed, r: seed },
        samplesSha256: `hash-${seed}`,
        outputsSha256: { "chart a": `chart-${seed}`, details: `details-${seed}` },
      })),
    ),
    ...extra,
  };
}

Deno.test("single-run gate: Holm-rejected and beyond the worst seed is regressed", () => {
  const values = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.0, 1.15, 0.85, 1.1];
  const s = summary(values);
  // The predictive p-value is Student's t of the standardized distance.
  const x = 1.6;
  const z = (x - s.mean) / (s.sd * Math.sqrt(1 + 1 / 10));
  near(predictiveP(values, x, "lower"), 1 - studentTCdf(z, 9), 1e-15, "p");
  near(predictiveP(values, 2 * s.mean - x, "higher"), 1 - studentTCdf(z, 9), 1e-12, "mirrored");
  const g = golden(values);
  // One gated metric: Holm is the plain level. The edge is where p = RUN_ALPHA.
  const edge = s.mean + studentTQuantile(1 - RUN_ALPHA, 9) * s.sd * Math.sqrt(1.1);
  assert.equal(judgeRun(g, 0, { m: edge * 0.999, e: 10, r: 0 }).verdict, "ok", "inside the edge");
  const bad = judgeRun(g, 0, { m: edge * 1.001, e: 10, r: 0 });
  assert.equal(bad.verdict, "regressed");
  assert.deepEqual(bad.checks.filter((c) => !c.ok).map((c) => c.metric), ["m"]);
  assert.equal(judgeRun(g, 0, { m: 0.1, e: 10, r: 999 }).verdict, "ok", "better and report-only");
  assert.equal(judgeRun(g, 0, { e: 10, r: 0 }).verdict, "regressed", "a gated metric missing");
  assert.equal(judgeRun(g, 0, { m: NaN, e: 10, r: 0 }).verdict, "regressed", "not finite");
  // Far beyond the bound but not beyond the worst seed: not regressed (one wild golden seed).
  const wild = golden([1, 1.01, 0.99, 1, 1.02, 0.98, 1, 1.01, 0.99, 5]);
  assert.equal(judgeRun(wild, 0, { m: 4.9, e: 10, r: 0 }).verdict, "ok");
  // No spread: anything worse than the constant is regressed.
  assert.equal(predictiveP([8, 8, 8, 8, 8], 7, "higher"), 0);
  assert.equal(predictiveP([8, 8, 8, 8, 8], 8, "higher"), 1);
  // Holm over several metrics: a p just under RUN_ALPHA is not enough when there are two.
  const two: Golden = {
    ...g,
    gates: { ...g.gates, m2: { kind: "seeds", better: "lower" } },
    runs: g.runs.map((r) => ({ ...r, metrics: { ...r.metrics, m2: r.metrics.m } })),
  };
  const justOver = s.mean + studentTQuantile(1 - 0.8 * RUN_ALPHA, 9) * s.sd * Math.sqrt(1.1);
  assert.ok(justOver > 1.2, "beyond the worst seed");
  assert.equal(judgeRun(two, 0, { m: justOver, m2: s.mean, e: 10, r: 0 }).verdict, "ok");
  assert.equal(judgeRun(g, 0, { m: justOver, e: 10, r: 0 }).verdict, "regressed");
});

Deno.test("seedBand: the single-run edge of one metric alone, where the predictive p-value is RUN_ALPHA, or the worst seed if beyond", () => {
  const values = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.0, 1.15, 0.85, 1.1];
  const s = summary(values);
  const half = studentTQuantile(1 - RUN_ALPHA, 9) * s.sd * Math.sqrt(1 + 1 / 10);
  const lower = seedBand(values, "lower"), higher = seedBand(values, "higher");
  near(lower.bound, s.mean + half, 1e-12, "lower: bound");
  near(higher.bound, s.mean - half, 1e-12, "higher: bound");
  assert.equal(lower.worst, 1.2);
  assert.equal(higher.worst, 0.85);
  near(lower.limit, Math.max(1.2, s.mean + half), 0, "lower: limit");
  near(higher.limit, Math.min(0.85, s.mean - half), 0, "higher: limit");
  near(predictiveP(values, lower.bound, "lower"), RUN_ALPHA, 1e-9, "p at the bound");
  // one wild seed widens the band past it (a seed among n sits within (n - 1) / sqrt(n) sd of the
  // mean, below the t edge at this level): the edge is never inside the seeds
  const wild = seedBand([1, 1.01, 0.99, 1, 1.02, 0.98, 1, 1.01, 0.99, 5], "lower");
  assert.equal(wild.worst, 5);
  assert.ok(wild.limit >= 5 && wild.limit === wild.bound, `wild: ${wild.limit}`);
});

Deno.test("exact metrics: the same seed's value within the precision band, both ways when undirected", () => {
  const g = golden([1, 1.1, 0.9, 1, 1]);
  const band = exactBand(13, "float64");
  assert.equal(band, NUMERIC_BANDS.float64.abs + NUMERIC_BANDS.float64.rel * 13);
  assert.equal(judgeRun(g, 3, { m: 1, e: 13 + band / 2, r: 0 }).verdict, "ok");
  assert.equal(judgeRun(g, 3, { m: 1, e: 13 + 2 * band, r: 0 }).verdict, "regressed");
  assert.equal(judgeRun(g, 3, { m: 1, e: 13 - 2 * band, r: 0 }).verdict, "regressed");
  // A seed the golden lacks: an undirected exact metric is not judged.
  assert.equal(judgeRun(g, 42, { m: 1, e: 99, r: 0 }).verdict, "ok");
});

Deno.test("both directions: a higher-is-better metric is refused below its seeds and an exact directed one on its worse side only, in a single run and a sweep", () => {
  const values = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.0, 1.15, 0.85, 1.1];
  const g: Golden = {
    ...golden(values),
    gates: {
      h: { kind: "seeds", better: "higher" },
      lo: { kind: "exact", precision: "float32", better: "lower" },
      hi: { kind: "exact", precision: "float32", better: "higher" },
    },
    runs: values.map((v, seed) => ({
      seed,
      metrics: { h: v, lo: 0, hi: 1 },
      samplesSha256: `hash-${seed}`,
      outputsSha256: {},
    })),
  };
  const run = (m: Record<string, number>) => judgeRun(g, 3, { h: 1, lo: 0, hi: 1, ...m });
  const failing = (m: Record<string, number>) =>
    run(m).checks.filter((c) => !c.ok).map((c) => c.metric);
  assert.deepEqual(failing({}), []);
  assert.deepEqual(failing({ h: 0.2 }), ["h"], "higher is better: far below the seeds");
  assert.deepEqual(failing({ h: 3 }), [], "higher is better: far above is an improvement");
  assert.deepEqual(failing({ lo: 0.5 }), ["lo"], "exact, lower is better: above its value");
  assert.deepEqual(failing({ lo: -0.5 }), [], "exact, lower is better: below");
  assert.deepEqual(failing({ hi: 0.5 }), ["hi"], "exact, higher is better: below its value");
  assert.deepEqual(failing({ hi: 1.5 }), [], "exact, higher is better: above");
  const sweep = (m: Record<string, number>, shift = 0) =>
    judgeSweep(
      g,
      values.map((v, seed) => ({
        seed,
        metrics: { h: v + shift, lo: 0, hi: 1, ...m },
        samplesSha256: `new-${seed}`,
      })),
    ).checks.filter((c) => !c.ok).map((c) => c.metric);
  assert.deepEqual(sweep({}), []);
  assert.deepEqual(sweep({}, -0.3), ["h"], "higher is better: the mean down by 3 sd");
  assert.deepEqual(sweep({}, 0.3), [], "higher is better: the mean up");
  assert.deepEqual(sweep({ lo: 0.5 }), Array(10).fill("lo"), "exact, lower: above, every seed");
  assert.deepEqual(sweep({ lo: -0.5 }), []);
  assert.deepEqual(sweep({ hi: 0.5 }), Array(10).fill("hi"), "exact, higher: below, every seed");
  assert.deepEqual(sweep({ hi: 1.5 }), []);
  // The band's edge, both gates: worse by twice the band is refused, by half of it is not.
  const band = exactBand(0, "float32");
  assert.deepEqual(failing({ lo: 2 * band }), ["lo"], "single run: two bands above");
  assert.deepEqual(failing({ lo: band / 2 }), [], "single run: half a band above");
  assert.deepEqual(sweep({ lo: 2 * band }), Array(10).fill("lo"), "sweep: two bands above");
  assert.deepEqual(sweep({ lo: band / 2 }), [], "sweep: half a band above");
  assert.deepEqual(sweep({ hi: 1 - 2 * exactBand(1, "float32") }), Array(10).fill("hi"));
  assert.deepEqual(sweep({ hi: 1 - exactBand(1, "float32") / 2 }), []);
});

Deno.test("sweep gate: a shifted mean is caught, noise is not, a seed that changes nothing is", () => {
  const rng = new Streams(7).get("t");
  const draw = (mu: number) => Array.from({ length: 10 }, () => mu + 0.1 * rng.normal());
  const g = golden(draw(1));
  const runs = (values: number[], hashes = true) =>
    values.map((v, seed) => ({
      seed,
      metrics: { m: v, e: 10 + seed, r: 0 },
      samplesSha256: hashes ? `new-${seed}` : "same",
    }));
  assert.equal(judgeSweep(g, runs(draw(1))).verdict, "ok", "same law");
  const worse = judgeSweep(g, runs(draw(1.3)));
  assert.equal(worse.verdict, "regressed", "mean up by 3 sd");
  assert.ok(worse.checks.find((c) => c.metric === "m")!.p! < 1e-4);
  assert.equal(judgeSweep(g, runs(draw(0.7))).verdict, "ok", "better is not a regression");
  const frozen = judgeSweep(g, runs(draw(1), false));
  assert.equal(frozen.verdict, "regressed");
  assert.ok(frozen.checks.some((c) => c.metric === "samples.csv"));
  // An exact metric that moved on one seed.
  const moved = runs(draw(1));
  moved[2].metrics.e += 1;
  assert.equal(judgeSweep(g, moved).verdict, "regressed");
});

Deno.test("the single-run gate's false-alarm rate on pure noise is near its design rate", () => {
  // Many goldens of ten normal seeds, a fresh seed each: alarms at most ~RUN_ALPHA (the worst-seed
  // condition makes it lower).
  const rng = new Streams(11).get("alarms");
  let alarms = 0;
  const trials = 4000;
  for (let i = 0; i < trials; i++) {
    const values = Array.from({ length: 10 }, () => rng.normal());
    if (judgeRun(golden(values), 0, { m: rng.normal(), e: 10, r: 0 }).verdict === "regressed") {
      alarms++;
    }
  }
  const rate = alarms / trials;
  assert.ok(rate <= 1.5 * RUN_ALPHA, `false-alarm rate ${rate}`);
  assert.ok(rate >= 0.2 * RUN_ALPHA, `false-alarm rate ${rate} (the gate is not dead)`);
  const loo = leaveOneOutAlarms(golden([1, 1.1, 0.9, 1.05, 0.95, 1, 1.02, 0.98, 1.01, 0.99]));
  assert.deepEqual(loo, { alarms: 0, seeds: 10 });
});

Deno.test("a sweep's verdict (the worst of its runs') fails whenever one of its runs fails", () => {
  for (const ci of [false, true]) {
    for (const a of SEVERITY) {
      for (const b of SEVERITY) {
        const worst = worstVerdict([a, b]);
        assert.ok([a, b].includes(worst as typeof a), `${a}, ${b}: ${worst}`);
        assert.equal(worstVerdict([b, a]), worst, `${a}, ${b}: order`);
        assert.equal(isFailing(worst, ci), isFailing(a, ci) || isFailing(b, ci), `${a}, ${b}`);
      }
    }
  }
  assert.equal(worstVerdict(["bit-exact", "changed", "not compared"]), "changed");
});

Deno.test("reproducibility layer: bit-exact, changed, stale config, stale gates, not compared", () => {
  const g = golden([1, 1.1, 0.9, 1, 1]);
  const id = { seed: 0, configHash: "h", overridden: false };
  const same = { m: 1, e: 10, r: 0 };
  const outputs = { "chart a": "chart-0", details: "details-0" };
  const digests = (samplesSha256: string, outputsSha256: Record<string, string> = outputs) => ({
    samplesSha256,
    outputsSha256,
  });
  assert.equal(compareRun(g, id, same, digests("hash-0")).verdict, "bit-exact");
  const changed = compareRun(g, id, { ...same, r: 0.5 }, digests("hash-0"));
  assert.equal(changed.verdict, "changed");
  assert.deepEqual(changed.diffs, [{ metric: "r", golden: 0, got: 0.5 }]);
  assert.equal(compareRun(g, id, same, digests("other")).verdict, "changed", "samples only");
  // Every other output too: a chart's data that moved, an output gone, an output new.
  for (
    const [o, moved] of [
      [{ ...outputs, "chart a": "moved" }, ["chart a"]],
      [{ details: "details-0" }, ["chart a"]],
      [{ ...outputs, "langevin.csv": "new" }, ["langevin.csv"]],
    ] as const
  ) {
    const r = compareRun(g, id, same, digests("hash-0", o));
    assert.equal(r.verdict, "changed", `outputs ${JSON.stringify(o)}`);
    assert.deepEqual(r.outputsChanged, moved);
    assert.deepEqual(r.diffs, [], "no metric moved");
    assert.match(r.reason!, new RegExp(moved[0]), "the reason names the output");
  }
  // bit for bit: one float64 ulp is a change, and so is a metric the golden does not hold
  const ulp = compareRun(g, id, { ...same, e: 10 + 2 ** -49 }, digests("hash-0"));
  assert.equal(ulp.verdict, "changed", "one ulp");
  assert.deepEqual(ulp.diffs, [{ metric: "e", golden: 10, got: 10 + 2 ** -49 }]);
  const extra = compareRun(g, id, { ...same, fresh: 1 }, digests("hash-0"));
  assert.equal(extra.verdict, "changed", "a new metric");
  assert.deepEqual(extra.diffs, [{ metric: "fresh", golden: NaN, got: 1 }]);
  // which verdicts fail a run: every change does; "no golden" only under CI
  for (const v of ["changed", "regressed", "stale golden", "failed"]) {
    assert.ok(isFailing(v, false) && isFailing(v, true), v);
  }
  for (const v of ["bit-exact", "not compared", "updated"]) {
    assert.ok(!isFailing(v, false) && !isFailing(v, true), v);
  }
  assert.ok(isFailing("no golden", true) && !isFailing("no golden", false));
  assert.equal(
    compareRun(g, { ...id, configHash: "h2" }, same, digests("hash-0")).verdict,
    "stale",
  );
  assert.equal(
    compareRun(g, { ...id, overridden: true }, same, digests("x")).verdict,
    "not compared",
  );
  assert.equal(compareRun(g, { ...id, seed: 77 }, same, digests("x")).verdict, "not compared");
  assert.equal(compareRun(null, id, same, digests("x")).verdict, "no golden");
  const specs: Record<string, MetricSpec> = {
    m: { description: "", better: "lower" },
    e: { description: "", gate: { exact: "float64" } },
    r: { description: "" },
  };
  const exp = { metrics: specs };
  assert.equal(checkRun(g, { ...id, exp }, same, digests("hash-0")).verdict, "bit-exact");
  const moved = checkRun(g, { ...id, exp }, same, digests("hash-0", { details: "x" }));
  assert.equal(moved.verdict, "changed", "an output moved, every metric bit-exact");
  assert.deepEqual(moved.failing, ["chart a", "details"]);
  assert.match(formatDiff(moved.repro, moved.quality), /chart a\s+sha256\s+differs/);
  // A spec whose gate changed makes the golden stale, as a config change does.
  const looser = { metrics: { ...specs, m: { description: "" } } };
  assert.equal(
    checkRun(g, { ...id, exp: looser }, same, digests("hash-0")).verdict,
    "stale golden",
  );
  // Changed numbers, quality inside the spread, and outside it.
  const c = checkRun(g, { ...id, exp }, { ...same, m: 1.05 }, digests("x"));
  assert.equal(c.verdict, "changed");
  assert.equal(c.quality.verdict, "ok");
  assert.equal(checkRun(g, { ...id, exp }, { ...same, m: 5 }, digests("x")).verdict, "regressed");
  assert.equal(
    checkRun(g, { ...id, configHash: "other", exp }, { ...same, m: 5 }, digests("x")).verdict,
    "regressed",
    "a stale golden still judges quality",
  );
  // A non-finite metric, even a report-only one, is a regression with or without a golden and
  // under --set, naming the metric; the run is judged, not crashed.
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const [golden, overridden] of [[g, false], [null, false], [g, true]] as const) {
      const nan = checkRun(golden, { ...id, overridden, exp }, { ...same, r: bad }, digests("x"));
      assert.equal(nan.verdict, "regressed", `${bad} with golden ${!!golden}, --set ${overridden}`);
      assert.deepEqual(nan.failing, ["r"]);
      assert.match(nan.detail ?? "", new RegExp(`not a finite number: r = ${bad}`));
    }
  }
});

Deno.test("degradations: blur, mass moved, mode dropped, law scaled do what they say", () => {
  const ring = ring8Mixture();
  const modes = { means: ring.means, weights: ring.weights };
  const x = Float32Array.from(
    ring.means.flatMap((m) => [m[0], m[1]]).concat(
      ...Array.from({ length: 9 }, () => ring.means.flatMap((m) => [m[0], m[1]])),
    ),
  ); // 10 points on each mode
  const count = (y: Float32Array) => {
    const c = new Array(8).fill(0);
    for (const k of nearestMode(ring.means, y).mode) c[k]++;
    return c;
  };
  assert.deepEqual(count(x), new Array(8).fill(10));
  const moved = count(moveMass(x, 2, modes, 0.2));
  assert.equal(moved[0], 8);
  assert.equal(moved.reduce((a, b) => a + b), 80);
  assert.equal(count(moveMass(x, 2, modes, 0.5))[0], 5);
  const dropped = count(dropMode(x, 2, modes));
  assert.equal(dropped[0], 0);
  assert.equal(dropped.reduce((a, b) => a + b), 80);
  const scaled = scaleLaw(x, 2, 0.95, modes);
  near(Math.hypot(scaled[0], scaled[1]), 0.95 * 3, 1e-6, "radius scaled about the law's mean");
  const b = blur(x, 0.1);
  let s2 = 0;
  for (let i = 0; i < x.length; i++) s2 += (b[i] - x[i]) ** 2;
  near(Math.sqrt(s2 / x.length), 0.1, 0.02, "blur sd");
  assert.deepEqual(blur(x, 0.1), b, "the same noise every time");
});

Deno.test("the float32 band of exact metrics covers float32 rounding: a one-ulp nudge of the inputs moves the oracle NLL far less", async () => {
  await backend();
  const sde = vpSde();
  const m = DATASETS.ring8.mixture!;
  const x = DATASETS.ring8.sample(100, new Streams(5).get("points")).x;
  const nudged = Float32Array.from(x, (v) => v * (1 + 2 ** -23));
  const oracle = new MixtureOracle(m);
  const closed = (y: Float32Array) => mixtureLogDensity(m, y).map((v) => -v);
  const figures = (y: Float32Array) => {
    const r = nll(sde, scoreFromMixtureAtTime(oracle, sde), y, 2).nll;
    const c = closed(y);
    let meanNll = 0, mad = 0;
    r.forEach((v, i) => {
      meanNll += v / r.length;
      mad += Math.abs(v - c[i]) / r.length;
    });
    return { meanNll, mad };
  };
  const a = figures(x), b = figures(nudged);
  oracle.dispose();
  for (const k of ["meanNll", "mad"] as const) {
    const moved = Math.abs(a[k] - b[k]);
    const band = exactBand(a[k], "float32");
    console.log(
      `${k}: ${a[k]} moved ${moved.toExponential(2)} by a one-ulp nudge; band ${
        band.toExponential(2)
      }`,
    );
    assert.ok(moved <= 0.1 * band, `${k} moved ${moved}, a tenth of the band is ${0.1 * band}`);
  }
});

Deno.test("a golden of the wrong shape is refused before use, naming what is wrong", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scorelab-golden-" });
  const path = `${dir}/x.quick.json`;
  const ok = golden([1, 1.1, 0.9]);
  type Loose = Record<string, unknown> & { runs: Record<string, unknown>[] };
  const cases: [string, (g: Loose) => void, RegExp][] = [
    ["format", (g) => g.format = 3, /format 3 \(expected 4: renew it\)/],
    ["experiment", (g) => g.experiment = "y", /it is for experiment "y"/],
    ["profile", (g) => g.profile = "full", /it is for profile "full"/],
    ["seed", (g) => g.seed = 0.5, /no integer seed/],
    ["configHash", (g) => delete g.configHash, /no configHash/],
    [
      "gate",
      (g) => g.gates = { m: { kind: "loose" } },
      /gate of m is not one of seeds, exact, report/,
    ],
    ["runs", (g) => g.runs = [], /no runs/],
    ["metrics", (g) => delete g.runs[1].metrics, /a run lacks seed or metrics/],
    ["metric", (g) => g.runs[1].metrics = { m: "1" }, /seed 1: metric m is not a finite number/],
    ["samples", (g) => g.runs[2].samplesSha256 = 7, /seed 2: samplesSha256 is not a string/],
    ["outputs", (g) => delete g.runs[0].outputsSha256, /seed 0: outputsSha256 is not an object/],
    ["output", (g) => g.runs[0].outputsSha256 = { a: 1 }, /seed 0: outputsSha256 is not an object/],
    ["own seed", (g) => g.runs.shift(), /no run of its own seed 0/],
    ["renewal", (g) => delete g.renewal, /no renewal record/],
    ["digest", (g) => delete g.contentSha256, /no contentSha256/],
  ];
  try {
    const { contentSha256: _, ...content } = ok;
    const sealed = await sealGolden(content);
    await Deno.writeTextFile(path, JSON.stringify(sealed));
    assert.deepEqual(await readGolden(path, "x", "quick"), sealed, "the well-formed one loads");
    for (const [what, edit, message] of cases) {
      const g = structuredClone(sealed) as unknown as Loose;
      edit(g);
      await Deno.writeTextFile(path, JSON.stringify(g));
      await assert.rejects(
        readGolden(path, "x", "quick"),
        (e: Error) => e instanceof GoldenFileError && message.test(e.message),
        what,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
