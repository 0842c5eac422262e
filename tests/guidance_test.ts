import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { classifierFreeGuidance, oneHotWithDropout } from "../core/guidance/classifier_free.ts";
import { classifierGuidance, crossEntropy } from "../core/guidance/classifier.ts";
import { MixtureOracle, ring8Mixture } from "../core/data/mixtures.ts";
import {
  classifierFromMixture,
  epsByGroup,
  epsFromMixture,
  epsFromNetwork,
  type EpsModel,
} from "../core/models.ts";
import { conditionOfRows, sampleByCondition } from "../core/recipes/conditional.ts";
import { linearBetaSchedule } from "../core/noise/schedules.ts";
import { ddpmSample } from "../core/samplers/ddpm.ts";
import { conditionalAccuracy, radiusStats, withinModeSpread } from "../core/metrics/conditional.ts";
import { Network, oneHot } from "../core/nn/network.ts";
import { Streams } from "../core/runtime/random.ts";
import { backend, near, noLeak } from "./helpers.ts";
import { guidanceIdentityCheck } from "../core/recipes/guidance.ts";
import { guidanceIdentityOff } from "../core/metrics/guidance_identity.ts";
import type { RunEnv } from "../core/runtime/env.ts";

Deno.test("classifier-free guidance: (1 + w) eps_cond - w eps_uncond; dropout to the null row at rate p", async () => {
  await backend();
  const cond = (x: tf.Tensor2D) => tf.onesLike(x) as tf.Tensor2D;
  const uncond = (x: tf.Tensor2D) => tf.mul(3, tf.onesLike(x)) as tf.Tensor2D;
  const v = tf.tidy(() => classifierFreeGuidance(cond, uncond, 2)(tf.zeros([1, 2]), 0).dataSync());
  assert.deepEqual([...v], [3 * 1 - 2 * 3, -3]);
  const rows = Array.from(
    tf.tidy(() =>
      oneHotWithDropout(new Int32Array(20000), 8, 0.1, new Streams(1).get("d")).sum(1).dataSync()
    ),
  );
  near(1 - rows.reduce((a, b) => a + b, 0) / 20000, 0.1, 0.01, "dropped fraction");
});

Deno.test("cross-entropy of one-hot labels equals -log softmax at the label", async () => {
  await backend();
  const logits = [[1, 2, 0.5], [0, 0, 3]];
  const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), oneHot([1, 2], 3)).dataSync()[0]);
  const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
  near(got, ((lse(logits[0]) - 2) + (lse(logits[1]) - 3)) / 2, 1e-6);
});

Deno.test("classifier guidance with the exact score and the exact classifier at w = 1 samples p(x | y)", async () => {
  await backend();
  const m = ring8Mixture();
  const oracle = new MixtureOracle(m);
  const s = linearBetaSchedule(200);
  const clf = (x: tf.Tensor2D, t: number | Int32Array) => {
    if (typeof t !== "number") throw new Error("one t");
    return oracle.componentLogits(x, Math.sqrt(s.alphaBar[t]), Math.sqrt(1 - s.alphaBar[t]));
  };
  for (const label of [0, 5]) {
    const y = oneHot([label], 8);
    const eps = classifierGuidance(epsFromMixture(oracle, s), clf, y, s, 1);
    const r = await noLeak(() =>
      ddpmSample(eps, s, new Streams(3).perSample("s", 0, 1000), { dim: 2, variance: "posterior" })
    );
    const acc = conditionalAccuracy(r.x, label, m.means, m.std);
    assert.ok(acc > 0.97, `label ${label}: conditional accuracy ${acc}`);
    const ws = withinModeSpread(r.x, label, m.means)!;
    near(ws.spread, Math.SQRT2 * m.std, 0.03, `label ${label}: spread of the component`);
    assert.ok(ws.shift < 0.05, `label ${label}: centroid at the mode (${ws.shift})`);
    y.dispose();
  }
  oracle.dispose();
});

Deno.test("conditional metrics on constructed samples", () => {
  const m = ring8Mixture();
  const pts = [...m.means[2], ...m.means[2], ...m.means[3], 0, 0];
  near(conditionalAccuracy(pts, 2, m.means, m.std), 0.5, 0, "2 of 4 asked for label 2 land on it");
  // Two points: (mu + (0.3, 0)) and (mu + (0, -0.4)): centroid mu + (0.15, -0.2), spread 0.25, shift 0.25.
  const two = withinModeSpread(
    [m.means[2][0] + 0.3, m.means[2][1], m.means[2][0], m.means[2][1] - 0.4],
    2,
    m.means,
  )!;
  near(two.spread, 0.25, 1e-12, "spread around the centroid");
  near(two.shift, 0.25, 1e-12, "shift of the centroid");
  assert.equal(withinModeSpread(m.means[0], 4, m.means), null);
  const r = radiusStats([3, 4, 0, 2]);
  near(r.mean, 3.5, 1e-12);
  near(r.std, 1.5, 1e-12);
});

Deno.test("sampleByCondition: every condition gets the bits of its own batch, whatever the batches (network with grouped label rows, component oracles, classifier guidance)", async () => {
  await backend();
  const s = linearBetaSchedule(30);
  const K = 3, per = 6;
  const net = new Network({
    inputDim: 2,
    features: [
      { kind: "embedding", name: "t", classes: 30, dim: 4 },
      { kind: "input", name: "label", dim: K },
    ],
    hidden: [40, 33],
    activation: "relu",
    outputDim: 2,
  }, new Streams(4).get("init"));
  const w = net.params.fused();
  const labels = oneHot([0, 1, 2], K);
  const m = ring8Mixture();
  const components = m.means.slice(0, K).map((mu) =>
    new MixtureOracle({ means: [mu], std: m.std, weights: [1] })
  );
  const oracle = new MixtureOracle(m);
  const exactClassifier = classifierFromMixture(oracle, s);
  const streams = new Streams(9);
  const bytes = (x: Float32Array) => new Uint8Array(x.buffer.slice(0));
  const models: Record<string, (first: number, n: number) => EpsModel> = {
    network: (first, n) =>
      epsFromNetwork(net, w, s.T, { label: tf.slice(labels, [first, 0], [n, -1]) }),
    components: (first, n) =>
      epsByGroup(components.slice(first, first + n).map((o) => epsFromMixture(o, s))),
    guided: (first, n) =>
      classifierGuidance(
        epsFromMixture(oracle, s),
        exactClassifier,
        oneHot(conditionOfRows(n, per, first), 8),
        s,
        2,
      ),
  };
  for (const [name, epsFor] of Object.entries(models)) {
    // Each condition alone, its rows' streams at their place in the namespace.
    const alone = Array.from({ length: K }, (_, k) =>
      tf.tidy(() => {
        const noise = streams.perSample("sample", k * per, per);
        return ddpmSample(epsFor(k, 1), s, noise, { dim: 2, variance: "posterior" }).x;
      }));
    for (const batchRows of [1, per, 2 * per, 1000]) {
      const r = await noLeak(() =>
        sampleByCondition(epsFor, K, per, s, streams, { dim: 2, variance: "posterior", batchRows })
      );
      assert.deepEqual([...r.condition], [...conditionOfRows(K, per)]);
      for (let k = 0; k < K; k++) {
        assert.deepEqual(
          bytes(r.byCondition[k]),
          bytes(alone[k]),
          `${name}, ${batchRows} rows: ${k}`,
        );
      }
    }
  }
  tf.dispose([w, labels]);
  net.dispose();
  oracle.dispose();
  components.forEach((o) => o.dispose());
});

Deno.test("guidanceIdentityCheck: classifier-free at w equals classifier guidance at 1 + w with exact models (0 rows off); a wrong weight or scale is off almost everywhere", async () => {
  await backend();
  const mixture = ring8Mixture();
  const schedule = linearBetaSchedule(100);
  const env = { streams: new Streams(5) } as unknown as RunEnv;
  await noLeak(() => {
    assert.equal(guidanceIdentityCheck(env, mixture, schedule, [0, 1, 4]), 0);
    // the identity itself, with a broken classifier path: guidance at w instead of 1 + w
    const oracle = new MixtureOracle(mixture);
    const parts = mixture.means.map((mu) =>
      new MixtureOracle({ means: [mu], std: mixture.std, weights: [1] })
    );
    try {
      const K = mixture.means.length, per = 8;
      const eps = epsFromMixture(oracle, schedule);
      const byLabel = epsByGroup(parts.map((o) => epsFromMixture(o, schedule)));
      const asked = oneHot(conditionOfRows(K, per), K);
      const stream = new Streams(6).get("x");
      const ts = [5, 50, 95];
      const xs = ts.map(() => tf.tensor2d(stream.normals(K * per * 2), [K * per, 2]));
      const cls = (w: number) =>
        classifierGuidance(eps, classifierFromMixture(oracle, schedule), asked, schedule, w);
      assert.equal(guidanceIdentityOff(classifierFreeGuidance(byLabel, eps, 2), cls(3), ts, xs), 0);
      const off = guidanceIdentityOff(classifierFreeGuidance(byLabel, eps, 2), cls(2), ts, xs);
      assert.ok(off > 0.9, `w for 1 + w: ${off} of the rows off`);
      tf.dispose([asked, ...xs]);
    } finally {
      oracle.dispose();
      parts.forEach((o) => o.dispose());
    }
  });
});
