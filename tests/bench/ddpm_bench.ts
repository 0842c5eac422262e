/**
 * Benchmarks of the seed DDPM network (issue 2): one training step at batch 256, and sampling 5000
 * points through 200 ancestral steps. The same work as ../shared/bench/torch_ref.py times in PyTorch.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../core/runtime/backend.ts";
import { Streams } from "../../core/runtime/random.ts";
import { Network } from "../../core/nn/network.ts";
import { Adam } from "../../core/nn/adam.ts";
import { trainStep } from "../../core/nn/train.ts";
import { epsFromNetwork } from "../../core/models.ts";
import { ddpmLoss, drawTimesAndNoise } from "../../core/objectives/ddpm.ts";
import { linearBetaSchedule } from "../../core/noise/schedules.ts";
import { ddpmSample } from "../../core/samplers/ddpm.ts";
import { gatherRows, Minibatches } from "../../core/data/loader.ts";
import { DATASETS } from "../../core/data/datasets.ts";
import { ddpmNoisePredictor } from "../../core/nn/architectures.ts";

await initBackend();
const T = 200, B = 256;
const streams = new Streams(0);
const schedule = linearBetaSchedule(T);
const net = new Network(
  ddpmNoisePredictor({ T, timeEmbedDim: 16, hidden: [128, 128] }),
  streams.get("init"),
);
const opt = new Adam(net.params, { lr: 1e-3 });
const data = DATASETS.ring8.sample(5000, streams.get("data"));
const batches = new Minibatches(5000, B, streams.get("shuffle"));
const noise = streams.get("train");
let step = 0;

Deno.bench({
  name: "ddpm train step (batch 256)",
  group: "ddpm-train",
  warmup: 50,
  n: 1000,
  fn() {
    trainStep(net.params, opt, (w, s) => {
      const idx = batches.at(s);
      const x0 = tf.tensor2d(gatherRows(data.x, 2, idx), [B, 2]);
      const { t, eps } = drawTimesAndNoise(B, 2, T, noise);
      return ddpmLoss(epsFromNetwork(net, w, T), schedule, x0, t, tf.tensor2d(eps, [B, 2]));
    }, step++);
  },
});

Deno.bench({
  name: "ddpm sample 5000 x 200 steps",
  group: "ddpm-sample",
  warmup: 1,
  n: 3,
  fn() {
    const w = net.params.fused();
    ddpmSample(epsFromNetwork(net, w, T), schedule, streams.perSample("sample", 0, 5000), {
      dim: 2,
    });
    tf.dispose(w);
  },
});
