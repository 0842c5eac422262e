/** The figures, notes and per-variant metrics of `ddpm-ring8-improved`, built from its parts. */
import type { Chart } from "../core/harness/experiment.ts";
import type { Quality } from "../core/metrics/quality.ts";
import type { TrainingFacts } from "../core/recipes/ddpm.ts";
import type { VariantName } from "../core/recipes/ddpm_ablation.ts";
import {
  barChart,
  dataWindow,
  lineChart,
  pointRows,
  type Row,
  scatterOverData,
} from "../core/report/charts.ts";

/** What one variant's part returns (the `oracle` part: the exact predictor, no training). */
export type VariantPart = {
  x: Float32Array;
  quality: Omit<Quality, "mmdPValue">;
  lossByEpoch?: number[];
  /** What the variant's training did (trained variants). */
  facts?: TrainingFacts;
};

const LABELS: Record<VariantName | "oracle", string> = {
  seed: "seed 004",
  ema: "+ EMA",
  cosine: "+ cosine lr",
  longer: "+ longer",
  posterior: "+ posterior var.",
  sinusoidal: "+ sinusoidal t",
  data: "+ more data",
  improved: "all changes",
  oracle: "exact ε",
};

/** The config fields the page shows. */
type Shown = {
  data: { dataset: string; trainSize: number };
  train: { epochs: number };
  improved: {
    epochs: number;
    ema: number;
    cosineDecay: boolean;
    variance: string;
    timeEmbedding: string;
    trainSize: number;
  };
  ablation: { variants: VariantName[] };
};

/** The targets of issue 15 for the improved recipe ("at the oracle"). */
const TARGET = { hq: 0.985, floorMultiple: 2, modes: 8 };

/** Per-variant metrics, charts and notes. */
export function improvedPage(
  c: Shown,
  data: Float32Array,
  parts: Record<string, VariantPart>,
  floorScale: number,
  trainingSet: { quality: Omit<Quality, "mmdPValue">; perMode?: number[] },
): { metrics: Record<string, number>; charts: Chart[]; notes: string[] } {
  const names = [...c.ablation.variants, "oracle"] as (VariantName | "oracle")[];
  const t = trainingSet.quality;
  const metrics: Record<string, number> = {
    mmd2FloorScale: floorScale,
    hq_trainingSet: t.highQualityFraction!,
    mmd2_trainingSet: t.mmd2,
    modes_trainingSet: t.modesCovered!,
  };
  const setLabel = `the ${c.data.trainSize} training points`;
  const rows: Row[] = [
    { variant: setLabel, hq: t.highQualityFraction!, mmd2: t.mmd2, modes: t.modesCovered! },
  ];
  for (const v of names) {
    const q = parts[v].quality;
    metrics[`hq_${v}`] = q.highQualityFraction!;
    metrics[`mmd2_${v}`] = q.mmd2;
    metrics[`modes_${v}`] = q.modesCovered!;
    metrics[`gap_${v}`] = q.logDensityGap!;
    const loss = parts[v].lossByEpoch;
    if (loss) metrics[`finalLoss_${v}`] = loss[loss.length - 1];
    const facts = parts[v].facts;
    if (facts) metrics[`lrLastRatio_${v}`] = facts.lrLastRatio;
    rows.push({
      variant: LABELS[v],
      hq: q.highQualityFraction!,
      mmd2: q.mmd2,
      modes: q.modesCovered!,
    });
  }
  const lossRows: Row[] = names.flatMap((v) =>
    (parts[v].lossByEpoch ?? []).map((loss, i) => ({ variant: LABELS[v], epoch: i + 1, loss }))
  );
  const main = parts.improved ? "improved" : c.ablation.variants[c.ablation.variants.length - 1];
  const i = c.improved;
  const charts: Chart[] = [
    {
      name: "samples",
      title: "Samples of the improved recipe",
      caption: `${LABELS[main]}: ${
        parts[main].x.length / 2
      } samples (red) over the training data (grey).`,
      spec: scatterOverData({
        title: `${LABELS[main]}: samples over the data`,
        data: pointRows(data, {}, 1500),
        samples: pointRows(parts[main].x, {}, 2000),
        window: dataWindow(c.data.dataset),
      }),
      thumbnail: true,
    },
    {
      name: "ablation-hq",
      title: "Ablation: samples near a mode",
      caption: "Fraction of samples within 3 std of a mode per variant, beside the exact noise " +
        `predictor with the improved sampler and ${setLabel} themselves; the issue's target is ` +
        `${TARGET.hq}.`,
      spec: barChart({
        title: "Fraction within 3 std of a mode",
        rows,
        x: { field: "variant", title: "variant" },
        y: { field: "hq", title: "high-quality fraction" },
      }),
    },
    {
      name: "ablation-mmd",
      title: "Ablation: MMD²",
      caption:
        `MMD² to the true law per variant and of ${setLabel} themselves (what a model that ` +
        `learned its set exactly would carry); the noise floor's RMS spread for this sample ` +
        `size is ${floorScale.toExponential(2)}.`,
      spec: barChart({
        title: "MMD² per variant",
        rows,
        x: { field: "variant", title: "variant" },
        y: { field: "mmd2", title: "MMD²" },
      }),
    },
  ];
  if (lossRows.length) {
    charts.push({
      name: "loss",
      title: "Training loss per variant",
      caption:
        "Mean ε-prediction MSE per epoch; variants with more steps T or more epochs differ " +
        "in scale and length. Variants read off the seed's training share its line.",
      spec: lineChart({
        title: "Training loss",
        rows: lossRows,
        x: { field: "epoch", title: "epoch" },
        y: { field: "loss", title: "MSE", log: true },
        color: { field: "variant", title: "variant" },
      }),
    });
  }
  const q = parts[main].quality, o = parts.oracle.quality;
  const atFloor = Math.abs(q.mmd2) <= TARGET.floorMultiple * floorScale;
  const met = q.highQualityFraction! >= TARGET.hq && atFloor && q.modesCovered === TARGET.modes;
  const notes = [
    `The changes: EMA ${i.ema} of the weights (sampled with the average), cosine decay of the ` +
    `learning rate to 0, ${i.epochs} epochs instead of ${c.train.epochs}, the ${i.variance} ` +
    `variance in the reverse step, a ${i.timeEmbedding} time embedding, ${i.trainSize} training ` +
    `points drawn from the law instead of ${c.data.trainSize} (at the same number of optimizer ` +
    "steps: fewer epochs over more points). Every variant draws from the same streams (common " +
    "random numbers: a difference between variants is their change's, not their draws'); the " +
    "seed, EMA and posterior variants read one training of the seed's recipe (its weights, or " +
    "their average). The golden's seed sweep gives each variant's spread.",
    "Measured and left out of the recipe (full profile, fraction near a mode): a wider network " +
    "(256-256-256) alone 0.966 at 6.6x the cost, all changes with it 0.983 (seed 0); with all " +
    "changes, 2000 epochs 0.982-0.985 over seeds 0-4, lr 3e-3 at 2000 epochs 0.984/0.986 and at " +
    "4000 epochs 0.986 (seeds 0/1, 0), batch 1024 at lr 2e-3 0.985/0.983 (seeds 0/1), a 64-wide " +
    "time embedding 0.981 (seed 0); with the 50000 points, 4000 epochs 0.9863±0.0018 over seeds " +
    "0-9 (7 of 10 at 0.985 or above) and EMA 0.9995 0.9840 (seed 0). T = 200 is kept, as the " +
    "exact predictor's figures are for the same 200-step sampler.",
    `${LABELS[main]}: ${fmt(q.highQualityFraction!)} near a mode, MMD² ${
      q.mmd2.toExponential(2)
    }, ` +
    `${q.modesCovered}/8 modes; the exact predictor with the same sampler: ` +
    `${fmt(o.highQualityFraction!)}, ${o.mmd2.toExponential(2)}, ${o.modesCovered}/8. Target ` +
    `(HQ >= ${TARGET.hq}, |MMD²| <= ${TARGET.floorMultiple}x the floor's spread ` +
    `${floorScale.toExponential(2)}, 8/8 modes): ${met ? "met" : "not met"} at this seed.`,
    `Why more data: a model learns its training set's mode shares. The ${c.data.trainSize} ` +
    `points of this seed hold ${trainingSet.perMode?.join(", ")} per mode (expected ` +
    `${c.data.trainSize / 8} each, sd ${Math.sqrt(c.data.trainSize * 7 / 64).toFixed(0)}), MMD² ` +
    `${t.mmd2.toExponential(2)}; a sampler that reproduced them exactly would carry that ` +
    "deviation, which no change of the optimizer or the sampler removes.",
    "Departures from seed 004 are the point of this experiment; the seed's own recipe is the " +
    "`seed` variant (and the experiment ddpm-ring8).",
  ];
  return { metrics, charts, notes };
}

function fmt(v: number): string {
  return v.toFixed(4);
}
