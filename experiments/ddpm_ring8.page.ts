/** The charts and notes of `ddpm-ring8`, built from what its run returns. */
import type { Chart } from "../core/harness/experiment.ts";
import type { TrainingData } from "../core/recipes/data.ts";
import type { EpsNet } from "../core/recipes/ddpm.ts";
import type { ChainNll } from "../core/recipes/chain_nll.ts";
import type { Quality } from "../core/metrics/quality.ts";
import type { SamplerResult } from "../core/samplers/result.ts";
import {
  dataExtent,
  dataWindow,
  epochLossChart,
  pointRows,
  scatterOverData,
  scatterPanels,
  trajectoryAnimation,
} from "../core/report/charts.ts";
import type { ChainConfig } from "../core/recipes/ddpm.ts";

/** The config fields the page shows. */
export type Shown = {
  data: { dataset: string };
  chain: ChainConfig;
  figures: { points: number };
  nll: { points: number };
  sample: { samples: number };
};

/** What the page shows. */
export interface DdpmRing8Results {
  data: TrainingData;
  model: EpsNet;
  samples: SamplerResult;
  /** The figure's time indices, increasing, and the forward draws at each. */
  shown: number[];
  forward: Float32Array[];
  quality: Quality;
  nll: ChainNll;
}

/** The charts and notes of a run. */
export function ddpmRing8Page(
  c: Shown,
  r: DdpmRing8Results,
): { charts: Chart[]; notes: string[] } {
  const m = r.data.dataset.mixture;
  const win = m ? dataWindow(c.data.dataset) : dataExtent(r.data.x);
  const panels = r.shown.map((t) => `t = ${t}`);
  const points = c.figures.points;
  const charts: Chart[] = [
    epochLossChart(r.model.lossByEpoch, {
      title: "Training loss",
      caption: "Mean epsilon-prediction MSE per epoch (log scale).",
      chartTitle: "Training loss (MSE of predicted noise)",
      yTitle: "MSE loss",
    }),
    {
      name: "forward",
      title: "Forward process",
      caption:
        "Samples of q(x_t | x_0) from the training data at the shown time indices: the ring " +
        "dissolves into N(0, I).",
      spec: scatterPanels({
        title: "Forward process q(x_t | x_0)",
        rows: r.forward.flatMap((x, i) => pointRows(x, { panel: panels[i] })),
        panelOrder: panels,
        panelTitle: "time index",
        window: win,
        color: "#1f77b4",
      }),
    },
    {
      name: "reverse",
      title: "Reverse trajectory",
      caption: "The sampler's state x_t entering step t (same t as the forward panels), starting " +
        "from N(0, I) at t = T-1.",
      spec: scatterPanels({
        title: "Reverse process (ancestral sampler)",
        rows: r.shown.flatMap((t, i) =>
          pointRows(r.samples.trajectory.get(t)!, { panel: panels[i] }, points)
        ),
        panelOrder: [...panels].reverse(),
        panelTitle: "time index",
        window: win,
      }),
    },
    {
      name: "reverse-animation",
      title: "Reverse diffusion, step by step",
      caption: "Move the slider: the sampler's state every 10 steps from N(0, I) at t = T-1 to " +
        "the final samples, over the training data (grey).",
      spec: trajectoryAnimation({
        title: "Reverse process (ancestral sampler)",
        chains: [{ panel: "", trajectory: r.samples.trajectory, final: r.samples.x }],
        window: win,
        background: pointRows(r.data.x, {}, 600),
        points: 500,
      }),
    },
    {
      name: "samples",
      title: "Samples over data",
      caption: `${c.sample.samples} generated samples (red) over the training data (grey).`,
      spec: scatterOverData({
        title: "Generated samples over training data",
        data: pointRows(r.data.x, {}, points),
        samples: pointRows(r.samples.x, {}, points),
        window: win,
      }),
    },
  ];
  const q = r.quality, n = r.nll, ch = c.chain;
  const oracle = n.nllOracle !== undefined;
  const notes = [
    "Departure from seed 004: each epoch is 19 full batches of 256 (the last partial batch of the " +
    "5000 points is dropped) where the seed's DataLoader also takes the partial 20th.",
    `MMD² ${q.mmd2.toFixed(4)} against a noise floor of ${q.mmd2NoiseFloor.toFixed(4)} ` +
    "(a second sample of the data's law of the same size)" +
    (m
      ? `; ${q.modesCovered}/${m.means.length} modes covered, ` +
        `${(100 * (q.highQualityFraction ?? 0)).toFixed(1)}% of samples within 3 std of a mode. ` +
        "For reference, the seed's own PyTorch code on this machine, training seeds 0-4: MMD² " +
        "0.0020-0.0070, high quality 0.965-0.968, 8/8 modes; the same sampler fed the exact noise: MMD² " +
        "at the floor, 0.990."
      : "."),
    `NLL of ${c.nll.points} test points: model ${n.nll.toFixed(3)} nats` +
    (oracle
      ? `, exact score ${n.nllOracle!.toFixed(3)} nats, closed form ` +
        `${n.nllClosedForm!.toFixed(3)} nats (entropy of the law: ${n.entropy!.toFixed(3)})`
      : "") +
    `. The chain is read as the VP SDE with β(t) from ${ch.T * ch.betaStart} to ${
      ch.T * ch.betaEnd
    } (its continuous limit); the network is evaluated between its time indices by interpolating ` +
    `the learned embedding. This short schedule does not reach N(0, I) (ᾱ_T = ${
      r.model.schedule.alphaBar[ch.T - 1].toFixed(3)
    })` +
    (oracle
      ? `, so the N(0, I) prior the sampler starts from costs ` +
        `${(n.nllOracle! - n.nllClosedForm!).toFixed(3)} nats even with the exact score ` +
        "(the gap between the exact-score and closed-form figures, about KL(q(x_T) ‖ N(0, I)))."
      : "."),
  ];
  return { charts, notes };
}
