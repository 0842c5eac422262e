/**
 * SGLD's target and sampler: the regression posterior in closed form (the full gradient vanishes at
 * its mean and its Hessian is minus the inverse covariance), the minibatch gradient is unbiased,
 * and full-batch Langevin's stationary variance matches 1 / (lambda (1 - eps lambda / 4)).
 */
import assert from "node:assert/strict";
import {
  regressionGradient,
  regressionPosterior,
  sampleRegression,
} from "../core/data/bayes_regression.ts";
import { sgld } from "../core/samplers/sgld.ts";
import { Streams } from "../core/runtime/random.ts";
import { near } from "./helpers.ts";

const streams = new Streams(4);
const data = sampleRegression(300, [0.7, -1.2], 0.8, 2, streams.get("data"));
const post = regressionPosterior(data);

Deno.test("regression posterior: zero gradient at the mean, Hessian = -S^-1", () => {
  const g = new Float64Array(2);
  regressionGradient(data, post.mean, g);
  near(g[0], 0, 1e-9, "g0");
  near(g[1], 0, 1e-9, "g1");
  const [a, b, d] = post.cov, det = a * d - b * b;
  const h = 1e-3, up = new Float64Array(2), down = new Float64Array(2);
  for (const k of [0, 1]) {
    const wUp = [...post.mean], wDown = [...post.mean];
    wUp[k] += h;
    wDown[k] -= h;
    regressionGradient(data, wUp, up);
    regressionGradient(data, wDown, down);
    const col = [(up[0] - down[0]) / (2 * h), (up[1] - down[1]) / (2 * h)];
    const inv = k === 0 ? [d / det, -b / det] : [-b / det, a / det];
    near(col[0], -inv[0], 1e-6 * Math.abs(inv[0]) + 1e-9, `H[0][${k}]`);
    near(col[1], -inv[1], 1e-6 * Math.abs(inv[1]) + 1e-9, `H[1][${k}]`);
  }
});

Deno.test("minibatch gradient: the average over every single-row batch is the full gradient", () => {
  const w = [0.1, 0.3], full = new Float64Array(2), one = new Float64Array(2), sum = [0, 0];
  regressionGradient(data, w, full);
  for (let i = 0; i < 300; i++) {
    regressionGradient(data, w, one, Int32Array.of(i));
    sum[0] += one[0] / 300;
    sum[1] += one[1] / 300;
  }
  near(sum[0], full[0], 1e-9 * Math.abs(full[0]) + 1e-9, "g0");
  near(sum[1], full[1], 1e-9 * Math.abs(full[1]) + 1e-9, "g1");
});

Deno.test("full-batch Langevin: stationary variance 1 / (lambda (1 - eps lambda / 4)) per direction", () => {
  const [a, b, d] = post.cov, tr = a + d, det = a * d - b * b;
  const disc = Math.sqrt(tr * tr / 4 - det);
  const lambdas = [1 / (tr / 2 + disc), 1 / (tr / 2 - disc)];
  const eps = 1.5 / Math.max(...lambdas);
  const predicted = lambdas.reduce((t, l) => t + 1 / (l * (1 - (eps * l) / 4)), 0);
  const chains = 3000;
  const s = new Streams(9);
  const start = Float64Array.from({ length: 2 * chains }, (_, i) => post.mean[i % 2]);
  const theta = sgld(
    (w, out, batch) => regressionGradient(data, w, out, batch),
    start,
    Array.from({ length: chains }, (_, i) => s.get(`c/${i}`)),
    { steps: { a: eps, b: 1, gamma: 0 }, iterations: 200, batchSize: 300, n: 300, dim: 2 },
  );
  let v = 0;
  for (let i = 0; i < chains; i++) {
    v += ((theta[2 * i] - post.mean[0]) ** 2 + (theta[2 * i + 1] - post.mean[1]) ** 2) / chains;
  }
  // The ratio of a variance estimate on 3000 chains has sd about sqrt(2 / 3000) = 0.026.
  assert.ok(Math.abs(v / predicted - 1) < 0.08, `measured ${v}, predicted ${predicted}`);
  assert.ok(predicted / tr > 1.5, "the step was meant to inflate the variance visibly");
});
