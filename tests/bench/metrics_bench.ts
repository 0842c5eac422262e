/**
 * (c) The PF-ODE negative log-likelihood of 500 points (VP SDE, ring8): the exact score with the
 * adaptive solver at rtol = atol = 1e-5 (nll-oracle's setting), and a time-conditional network with
 * RK4 at 50 steps, exact divergence and Hutchinson's estimator; (d) MMD^2 between 5000 and 5000
 * points (five bandwidths).
 */
import { Network } from "../../core/nn/network.ts";
import { timeConditionalMlp } from "../../core/nn/architectures.ts";
import { scoreFromEpsNetworkAtTime, scoreFromMixtureAtTime } from "../../core/models.ts";
import { vpSde } from "../../core/noise/sde.ts";
import { nll } from "../../core/likelihood.ts";
import { mmd2 } from "../../core/metrics/mmd.ts";
import { MixtureOracle, ring8Mixture } from "../../core/data/mixtures.ts";
import { DATASETS } from "../../core/data/datasets.ts";
import { ring8, streams } from "./shared.ts";

const sde = vpSde();
const points = ring8.x.slice(0, 1000);
const exact = scoreFromMixtureAtTime(new MixtureOracle(ring8Mixture()), sde);
const net = new Network(
  timeConditionalMlp({ hidden: [128, 128, 128], frequencies: 16, maxFrequency: 200 }),
  streams.get("init sde"),
);
const w = net.params.fused();
const learned = scoreFromEpsNetworkAtTime(net, w, sde);
const group = "PF-ODE NLL (500 points)";

Deno.bench({
  name: "NLL, exact score, adaptive rtol=atol=1e-5",
  group,
  baseline: true,
  warmup: 1,
  n: 5,
  fn: () => void nll(sde, exact, points, 2),
});
Deno.bench({
  name: "NLL, time MLP, RK4 50 steps, exact divergence",
  group,
  warmup: 1,
  n: 5,
  fn: () =>
    void nll(sde, learned, points, 2, { solver: { kind: "fixed", method: "rk4", steps: 50 } }),
});
Deno.bench({
  name: "NLL, time MLP, RK4 50 steps, Hutchinson 1 probe",
  group,
  warmup: 1,
  n: 5,
  fn: () =>
    void nll(sde, learned, points, 2, {
      solver: { kind: "fixed", method: "rk4", steps: 50 },
      divergence: { kind: "hutchinson", probes: 1, stream: streams.get("probes") },
    }),
});

const other = DATASETS.ring8.sample(5000, streams.get("mmd other")).x;
Deno.bench({
  name: "MMD^2, 5000 x 5000 points, 5 bandwidths",
  group: "MMD",
  warmup: 1,
  n: 5,
  fn: () => void mmd2(ring8.x, other, 2),
});
