import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./core/runtime/backend.ts";
import { Streams } from "./core/runtime/random.ts";
import { Network } from "./core/nn/network.ts";
import { ddpmNoisePredictor } from "./core/nn/architectures.ts";
import { Adam } from "./core/nn/adam.ts";
import { trainStep } from "./core/nn/train.ts";
import { epsFromNetwork } from "./core/models.ts";
import { ddpmLoss, drawTimesAndNoise } from "./core/objectives/ddpm.ts";
import { linearBetaSchedule } from "./core/noise/schedules.ts";
import { DATASETS } from "./core/data/datasets.ts";
import { gatherRows, Minibatches } from "./core/data/loader.ts";
await initBackend();
const T = 200, B = 256, streams = new Streams(0), schedule = linearBetaSchedule(T);
const net = new Network(
  ddpmNoisePredictor({ T, timeEmbedDim: 16, hidden: [128, 128] }),
  streams.get("init"),
);
const opt = new Adam(net.params, { lr: 1e-3 });
const data = DATASETS.ring8.sample(5000, streams.get("data"));
const batches = new Minibatches(5000, B, streams.get("shuffle"));
const noise = streams.get("train");
const loss = (w: any, s: number) => {
  const idx = batches.at(s);
  const x0 = tf.tensor2d(gatherRows(data.x, 2, idx), [B, 2]);
  const { t, eps } = drawTimesAndNoise(B, 2, T, noise);
  return ddpmLoss(epsFromNetwork(net, w, T), schedule, x0, t, tf.tensor2d(eps, [B, 2]));
};
for (let i = 0; i < 100; i++) trainStep(net.params, opt, loss, i);
const t0 = performance.now();
for (let i = 100; i < 600; i++) trainStep(net.params, opt, loss, i);
console.log("ms/step", ((performance.now() - t0) / 500).toFixed(3));
const prof = await tf.profile(() => {
  trainStep(net.params, opt, loss, 600);
});
const by = new Map<string, { n: number; ms: number }>();
for (const k of prof.kernels) {
  const e = by.get(k.name) ?? { n: 0, ms: 0 };
  e.n++;
  e.ms += k.kernelTimeMs as number;
  by.set(k.name, e);
}
console.log(
  "kernels",
  prof.kernels.length,
  "kernel ms",
  prof.kernels.reduce((a, k) => a + (k.kernelTimeMs as number), 0).toFixed(3),
);
console.log(
  [...by].sort((a, b) => b[1].ms - a[1].ms).map(([n, e]) => `${n} x${e.n} ${e.ms.toFixed(3)}`).join(
    "\n",
  ),
);
