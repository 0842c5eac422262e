import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./core/runtime/backend.ts";
import { Streams } from "./core/runtime/random.ts";
import { DATASETS } from "./core/data/datasets.ts";
import { Network } from "./core/nn/network.ts";
import { timeConditionalMlp } from "./core/nn/architectures.ts";
import { scoreFromEpsNetworkAtTime } from "./core/models.ts";
import { vpSde } from "./core/noise/sde.ts";
import { trainSde } from "./core/recipes/sde.ts";
import { sampleSde } from "./core/recipes/sde_samplers.ts";
import { QualityJudge } from "./core/metrics/quality.ts";
import { createProgress } from "./core/harness/progress.ts";
await initBackend();
const sde = vpSde();
const judge = new QualityJudge(DATASETS.ring8, {
  referenceSize: 5000,
  permutations: 1,
  permutationSize: 10,
});
for (
  const v of [
    { epochs: 400, ema: 0, maxFrequency: 200 },
    { epochs: 400, ema: 0.999, maxFrequency: 200 },
    { epochs: 400, ema: 0.999, maxFrequency: 30 },
    { epochs: 1000, ema: 0.999, maxFrequency: 200 },
  ]
) {
  const streams = new Streams(0);
  const data = DATASETS.ring8.sample(5000, streams.get("data")).x;
  const net = new Network(
    timeConditionalMlp({ hidden: [128, 128, 128], frequencies: 16, maxFrequency: v.maxFrequency }),
    streams.get("init"),
  );
  const t0 = performance.now();
  const tr = await trainSde({
    net,
    sde,
    x: data,
    dim: 2,
    batching: { kind: "epochs", batchSize: 256, epochs: v.epochs },
    optimizer: { lr: 1e-3 },
    eps: 1e-5,
    ema: v.ema || undefined,
    streams,
    progress: createProgress("x", "silent"),
  });
  if (tr.ema) {
    net.params.write(tr.ema.read());
    tr.ema.dispose();
  }
  const w = net.params.views();
  const score = scoreFromEpsNetworkAtTime(net, w, sde);
  const res = ["em", "rk4"].map((s) =>
    judge.mmd2(
      sampleSde(s as "em", sde, score, new Streams(0).perSample("s", 0, 2000), {
        dim: 2,
        eps: 1e-3,
        nfe: s === "em" ? 500 : 100,
        tolerance: 1e-3,
      }).x,
    ).toFixed(4)
  );
  tf.dispose(w);
  net.dispose();
  console.log(
    JSON.stringify(v),
    "em500",
    res[0],
    "rk4@100",
    res[1],
    "train s",
    ((performance.now() - t0) / 1000).toFixed(0),
  );
}
