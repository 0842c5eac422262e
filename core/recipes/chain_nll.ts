/**
 * The likelihood of a trained DDPM chain: its test points' NLL through the chain's continuous
 * limit, the VP SDE with beta(t) from T betaStart to T betaEnd (`vpSdeOfChain`), by the
 * probability-flow ODE; and, where the data have a closed form, the same with the exact score, the
 * exact -log p and the entropy of the law (the references that say how good the model's figure is).
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { mixtureEntropy, mixtureLogDensity, MixtureOracle } from "../data/mixtures.ts";
import { nll } from "../likelihood.ts";
import { scoreFromDdpmNetworkAtTime, scoreFromMixtureAtTime } from "../models.ts";
import { vpSdeOfChain } from "../noise/sde.ts";
import { mean } from "../metrics/statistics.ts";
import type { RunEnv } from "../runtime/env.ts";
import type { MetricSpec } from "../spec/metrics.ts";
import { TEST_IN_TRAINING_METRIC, testInTraining } from "../metrics/held_out.ts";
import type { ChainConfig, EpsNet } from "./ddpm.ts";

/** The figures of {@link chainNll}. */
export interface ChainNll {
  nll: number;
  /** The test points' share of training rows (0: held out). */
  testInTraining: number;
  /** Only for data with a closed form (not for a user's CSV). */
  nllOracle?: number;
  nllClosedForm?: number;
  entropy?: number;
}

/** Descriptions and gates of the {@link ChainNll} figures. */
export const CHAIN_NLL_METRICS: Record<keyof ChainNll, MetricSpec> = {
  nll: {
    description:
      "mean NLL of test points under the model, by the PF-ODE of the chain's VP SDE (β from " +
      "Tβ_start to Tβ_end), prior N(0, I), adaptive solver, exact divergence",
    better: "lower",
    unit: "nats",
    headline: true,
  },
  testInTraining: TEST_IN_TRAINING_METRIC,
  nllOracle: {
    description:
      "the same with the exact score: the best this SDE view and its N(0, I) prior allow",
    gate: { exact: "float32" },
    unit: "nats",
  },
  nllClosedForm: {
    description:
      "the exact −log p of the same test points (closed form): the reference for both NLLs above",
    gate: { exact: "float64" },
    unit: "nats",
  },
  entropy: {
    description: "entropy of the true law (Monte Carlo, 200k draws)",
    gate: { exact: "float64" },
    unit: "nats",
  },
};

/**
 * The {@link ChainNll} figures of `points` test points drawn from the `test` stream, or of the
 * given test points (the entropy from the `entropy` stream), and their share of the training rows
 * `train`. The network is evaluated between its time indices by interpolating its learned
 * embedding (`scoreFromDdpmNetworkAtTime`).
 */
export async function chainNll(
  env: RunEnv,
  model: EpsNet,
  chain: ChainConfig,
  dataset: Dataset,
  points: number | Float32Array,
  train: Float32Array,
): Promise<ChainNll> {
  const phase = env.progress.phase("nll", 2);
  const sde = vpSdeOfChain(chain.betaStart, chain.betaEnd, chain.T);
  const test = typeof points === "number"
    ? dataset.sample(points, env.streams.get("test")).x
    : points;
  const w = model.net.params.fused();
  const out: ChainNll = {
    nll: mean(nll(sde, scoreFromDdpmNetworkAtTime(model.net, w, chain.T, sde), test, 2).nll),
    testInTraining: testInTraining(test, train, 2),
  };
  tf.dispose(w);
  await phase.tick();
  const m = dataset.mixture;
  if (m) {
    const oracle = new MixtureOracle(m);
    out.nllOracle = mean(nll(sde, scoreFromMixtureAtTime(oracle, sde), test, 2).nll);
    out.nllClosedForm = -mean(mixtureLogDensity(m, test));
    out.entropy = mixtureEntropy(m, 200_000, env.streams.get("entropy")).entropy;
    oracle.dispose();
  }
  phase.done();
  return out;
}
