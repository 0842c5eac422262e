/**
 * `latent-interpolation`: interpolation in the PF-ODE's latent space (seed 000's probability flow,
 * Song et al. 2021 §4.3) with the exact score of ring8's VP-noised law: spherical and linear paths
 * between latents of data points, decoded, against the straight line in data space.
 */
import type { Experiment } from "../core/harness/experiment.ts";
import { assemble, derive } from "../core/spec/section.ts";
import { rules } from "../core/spec/rules.ts";
import { type LawConfig, lawOf, lawSection } from "../core/recipes/data.ts";
import { VP_SDE, type VpSdeConfig } from "../core/recipes/sde.ts";
import * as interp from "../core/recipes/interpolation.ts";
import { MixtureOracle } from "../core/data/mixtures.ts";
import { scoreFromMixtureAtTime } from "../core/models.ts";
import { vpSde } from "../core/noise/sde.ts";
import { samplesCsv } from "../core/report/csv.ts";
import { latentInterpolationPage } from "./latent_interpolation.page.ts";

/** The config of `latent-interpolation`. */
export interface LatentInterpolationConfig {
  data: LawConfig<"ring8" | "three_clusters" | "grid25">;
  sde: VpSdeConfig;
  interpolate: interp.InterpolationConfig;
  /** Draws of the true law shown behind the paths. */
  figures: { background: number };
}

const full: LatentInterpolationConfig = {
  data: { dataset: "ring8" },
  sde: { betaMin: 0.1, betaMax: 20 },
  interpolate: { pairs: 200, points: 11, rtol: 1e-5, tMin: 1e-3 },
  figures: { background: 800 },
};

const { schema, checks } = assemble<LatentInterpolationConfig>({
  data: lawSection(["ring8", "three_clusters", "grid25"] as const),
  sde: VP_SDE,
  interpolate: interp.INTERPOLATION,
  figures: { schema: { background: rules.int(0, 20_000) } },
});

/** The experiment `latent-interpolation`. */
export const latentInterpolation: Experiment<LatentInterpolationConfig> = {
  name: "latent-interpolation",
  title: "Interpolation in the probability-flow latent space",
  description:
    "The PF-ODE of the VP SDE (β from 0.1 to 20) with the exact score of ring8 maps each data point to a " +
    "latent at t = 1 and back. Pairs of data points are interpolated spherically and linearly between their " +
    "latents and decoded, and linearly in data space; the interior points of each path are judged against the " +
    "true law (the fraction within 3 std of a mode, their mean log-density), and the round trip x → z → x " +
    "checks the solver.",
  seed: 0,
  profiles: {
    full,
    quick: derive(full, {
      interpolate: { pairs: 40, rtol: 1e-4 },
    }),
  },
  schema,
  checks,
  metrics: {
    roundTripError: {
      description: "mean |decode(encode(x)) − x| over the paths' ends (the solver's error)",
      gate: { exact: "float32" },
      better: "lower",
    },
    "hqFraction_*": {
      description: "fraction of a path's interior points within 3 std of a mode",
      better: "higher",
      headline: true,
    },
    "meanLogDensity_*": {
      description: "mean log p of a path's interior points under the true law",
    },
  },

  run(env) {
    const c = env.config;
    const dataset = lawOf(c.data);
    const oracle = new MixtureOracle(dataset.mixture!);
    try {
      const sde = vpSde(c.sde.betaMin, c.sde.betaMax);
      const score = scoreFromMixtureAtTime(oracle, sde);
      const r = interp.interpolate(env.streams, sde, score, dataset, c.interpolate);
      const background = dataset.sample(c.figures.background, env.streams.get("background")).x;
      return Promise.resolve({
        metrics: interp.interpolationFigures(r, dataset.mixture!, c.interpolate),
        files: [{ name: "samples.csv", content: samplesCsv(r.paths.slerp) }],
        ...latentInterpolationPage(c, r, background),
      });
    } finally {
      oracle.dispose();
    }
  },
};
