/**
 * (c) The PF-ODE negative log-likelihood of 500 points (VP SDE, ring8): the exact score with the
 * adaptive solver at rtol = atol = 1e-5 (nll-oracle's setting), and a time-conditional network with
 * RK4 at 50 steps, exact divergence and Hutchinson's estimator; (d) MMD^2 between 5000 and 5000
 * points (five bandwidths): the WebAssembly sums against the plain float64 loops they replace
 * (the same value, bit for bit).
 */
import { Network } from "../../core/nn/network.ts";
import { timeConditionalMlp } from "../../core/nn/architectures.ts";
import { scoreFromEpsNetworkAtTime, scoreFromMixtureAtTime } from "../../core/models.ts";
import { vpSde } from "../../core/noise/sde.ts";
import { nll } from "../../core/likelihood.ts";
import { kernelOf, mmd2, MMD_BANDWIDTHS } from "../../core/metrics/mmd.ts";
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

/** MMD^2 by the plain loops over kernelOf (what the WebAssembly sums compute, bit for bit). */
function plainMmd2(x: Float32Array, y: Float32Array): number {
  const k = kernelOf(MMD_BANDWIDTHS);
  const n = x.length / 2, m = y.length / 2;
  const d2 = (p: Float32Array, i: number, q: Float32Array, j: number) =>
    (p[2 * i] - q[2 * j]) ** 2 + (p[2 * i + 1] - q[2 * j + 1]) ** 2;
  let xx = 0, yy = 0, xy = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) xx += k(d2(x, i, x, j));
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) yy += k(d2(y, i, y, j));
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(d2(x, i, y, j));
  return (2 * xx) / (n * (n - 1)) + (2 * yy) / (m * (m - 1)) - (2 * xy) / (n * m);
}

Deno.bench({
  name: "MMD^2, 5000 x 5000 points, plain float64 loops",
  group: "MMD",
  baseline: true,
  warmup: 1,
  n: 3,
  fn: () => void plainMmd2(ring8.x, other),
});
