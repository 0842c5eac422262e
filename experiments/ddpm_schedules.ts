/**
 * `ddpm-schedules`: seed 004's DDPM on ring8 with two beta schedules (seed 004's linear one and
 * seed 002's cosine one, Nichol & Dhariwal's form), each sampled by the ancestral chain and by DDIM
 * skipping to K of its T steps, and each bounded by seed 001's ELBO on test points, beside the exact
 * eps of the same chain (sampler and bound error apart from learning error), the PF-ODE NLL of the
 * linear chain and the closed-form -log p.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { unless } from "../core/spec/rules.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { type DataConfig, dataSection, loadData } from "../core/recipes/data.ts";
import { trainingFitsData } from "../core/recipes/train.ts";
import * as ddpm from "../core/recipes/ddpm.ts";
import * as study from "../core/recipes/ddpm_schedules.ts";
import { CHAIN_NLL_METRICS, chainNll } from "../core/recipes/chain_nll.ts";
import { QUALITY, qualityMetricsOf } from "../core/recipes/quality.ts";
import { DEFAULT_QUALITY, QualityJudge, type QualityOptions } from "../core/metrics/quality.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { ddpmSchedulesPage } from "./ddpm_schedules.page.ts";

/** The config of `ddpm-schedules`. */
export interface DdpmSchedulesConfig extends ddpm.DdpmBase, study.StudyConfig {
  data: DataConfig<"ring8">;
  cosine: study.CosineConfig;
  sample: ddpm.AncestralConfig;
  quality: QualityOptions;
}

const full: DdpmSchedulesConfig = {
  data: { dataset: "ring8", trainSize: 5000 },
  ...ddpm.SEED_004,
  cosine: { offset: 0.008, maxBeta: 0.999 },
  sample: { samples: 2000, sampleBatch: 2000, variance: "beta" },
  ddim: { steps: [10, 20, 50, 100, 200] },
  elbo: { points: 500 },
  quality: DEFAULT_QUALITY,
};

const { schema, checks } = assemble<DdpmSchedulesConfig>({
  data: dataSection(["ring8"] as const),
  ...ddpm.DDPM_SECTIONS,
  cosine: study.COSINE,
  sample: ddpm.ANCESTRAL,
  ...study.STUDY,
  quality: QUALITY,
}, [
  trainingFitsData,
  (c) =>
    unless(
      c.ddim.steps.every((k) => k <= c.chain.T),
      "ddim.steps",
      c.ddim.steps,
      `step counts in [1, ${c.chain.T}] (chain.T)`,
    ),
]);

/** The experiment `ddpm-schedules`. */
export const ddpmSchedulesExperiment: Experiment<DdpmSchedulesConfig> = {
  name: "ddpm-schedules",
  title: "DDPM schedules, DDIM with skipped steps, and the chain's ELBO",
  description:
    "Seed 004's DDPM on ring8 trained twice: with its linear betas and with the cosine schedule of seed 002 " +
    "(Nichol & Dhariwal's offset form). Each chain is sampled by the ancestral sampler and by DDIM (η = 0) on " +
    "10 to 200 of its 200 steps, and bounded by seed 001's ELBO (prior term, the T − 1 KL terms, the decoder " +
    "term) on test points; every figure also with the chain's exact ε, and beside the PF-ODE NLL of the linear " +
    "chain and the closed-form −log p of the same points.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      train: { epochs: 60 },
      sample: { samples: 1000, sampleBatch: 1000 },
      ddim: { steps: [10, 50, 200] },
      elbo: { points: 200 },
      quality: { referenceSize: 2000 },
    }),
  },
  schema,
  checks,
  metrics: {
    ...qualityMetricsOf("the linear chain's ancestral samples"),
    ...CHAIN_NLL_METRICS,
    "finalLoss_*": { description: "last epoch's mean DDPM loss per schedule", better: "lower" },
    "mmd2Ancestral_*": {
      description: "MMD² of the ancestral samples per schedule",
      better: "lower",
    },
    "mmd2Ddim_*": {
      description: "MMD² of DDIM (η = 0) with the network, per schedule and K",
      better: "lower",
    },
    "mmd2DdimExact_*": {
      description: "MMD² of DDIM with the chain's exact ε, per schedule and K",
      better: "lower",
    },
    "elbo_*": {
      description: "mean ELBO bound on −log p of the test points, network",
      better: "lower",
      unit: "nats",
      headline: true,
    },
    "elboExact_*": {
      description: "the same with the chain's exact ε",
      gate: { exact: "float32" },
      unit: "nats",
    },
    "elboGap_*": {
      description: "ELBO (network) minus the closed-form −log p",
      better: "lower",
      unit: "nats",
    },
    "elboGapExact_*": {
      description: "ELBO (exact ε) minus the closed-form −log p: the chain's own looseness",
      gate: { exact: "float32" },
      unit: "nats",
    },
    "elboPrior_*": {
      description: "the prior term KL(q(x_{T−1} | x) ‖ N(0, I))",
      gate: { exact: "float64" },
      unit: "nats",
    },
  },

  parts: (c) => study.schedulesOf(c.chain, c.cosine).map((s) => s.name),

  async runPart(env, part): Promise<SchedulePart> {
    const c = env.config;
    const data = loadData(c.data, env.streams);
    const test = data.dataset.sample(c.elbo.points, env.streams.get("test")).x;
    const { schedule } = study.schedulesOf(c.chain, c.cosine).find((s) => s.name === part)!;
    const partEnv = { ...env, streams: env.streams.child(part) };
    const model = await ddpm.trainEpsNet(partEnv, data.x, c, { schedule });
    try {
      const s = await study.studyChain(partEnv, model, data.dataset, test, c);
      // The PF-ODE NLL is the linear chain's (its VP SDE limit).
      const nll = part === "linear"
        ? await chainNll(env, model, c.chain, data.dataset, test, data.x)
        : undefined;
      return { study: s, nll, finalLoss: model.finalLoss, lossByEpoch: model.lossByEpoch };
    } finally {
      model.dispose();
    }
  },

  run({ config: c, streams, parts }) {
    const data = loadData(c.data, streams);
    const judge = new QualityJudge(data.dataset, c.quality);
    const p = parts as Record<string, SchedulePart>;
    const studies = study.schedulesOf(c.chain, c.cosine).map(({ name, schedule }) => ({
      name,
      schedule,
      ...p[name],
    }));
    const nll = p.linear.nll!, main = p.linear.study.ancestral;
    const judged = judge.measure(main);
    const figures = Object.assign(
      {},
      ...studies.map((s) => study.studyMetrics(s.name, s.study, judge, nll.nllClosedForm!)),
    );
    return Promise.resolve({
      metrics: {
        ...judged.quality,
        ...nll,
        ...Object.fromEntries(studies.map((s) => [`finalLoss_${s.name}`, s.finalLoss])),
        ...figures,
      },
      details: { perMode: judged.perMode },
      files: [{ name: "samples.csv", content: samplesCsv(main) }],
      probe: judge.probe(main),
      ...ddpmSchedulesPage(c, { studies, figures, nll, reference: judge.reference }),
    });
  },
};

/** What one schedule's part returns (the NLL: the linear chain's only). */
type SchedulePart = {
  study: study.ChainStudy;
  nll?: Awaited<ReturnType<typeof chainNll>>;
  finalLoss: number;
  lossByEpoch: number[];
};
