/**
 * What each config field is for, where it is not the default (`numbers`: it changes what the run
 * computes). Each declaration says why; `deno task test:fields` holds every field to its own.
 */

/** What a field's change must move (see run.ts). */
export interface Expectation {
  expect: "numbers" | "figures" | "invariant";
  why?: string;
  /** Other fields set first: the field is read only when they say so. */
  with?: Record<string, unknown>;
  /** The change to try (else the first of its candidates the config accepts). */
  value?: unknown;
}

const CURVE: Expectation = {
  expect: "figures",
  why: "how often a training curve is measured: the curve's points, not the trained network",
};
const SWEEP: Expectation = {
  expect: "figures",
  why: "a setting of the sweep besides the headline one: its samples file and its curve points; " +
    "the metrics are read at the headline setting",
};

/** Declarations that hold in every experiment, by field path. */
const EVERYWHERE: Record<string, Expectation> = {
  "sample.sampleBatch": {
    expect: "invariant",
    value: 333,
    why: "samples are drawn from per-sample streams: the batch (333 does not divide the count) " +
      "must not change a bit",
  },
  "quality.permutationSize": {
    expect: "numbers",
    value: 2,
    why: "a quick model is far enough from the true law that the permutation test's p-value sits " +
      "at its floor 1 / (1 + permutations) at the quick sizes (at 10 points too, in three " +
      "experiments); 2 points a side lift it",
  },
  "train.fisherEvery": CURVE,
};

/** Declarations of one experiment, by experiment and field path. */
const BY_EXPERIMENT: Record<string, Record<string, Expectation>> = {
  "ddpm-ring8": {
    "figures.steps": {
      expect: "figures",
      why: "the time indices the forward and reverse panels show",
    },
    "figures.points": { expect: "figures", why: "the points per panel of the figures" },
  },
  "latent-interpolation": {
    "figures.background": { expect: "figures", why: "draws of the law shown behind the paths" },
  },
  "score-matching-objectives": {
    "measure.grid": {
      expect: "figures",
      why: "the grid of the field plots; Fisher is measured on its own points",
    },
  },
  "langevin-mcmc": {
    "chains.checkpoints": {
      expect: "figures",
      why: "the steps at which the chains' curves are read; the metrics are read at the last step",
    },
  },
  "ncsn-three-clusters-improved": {
    "noise.sigmaMax": {
      expect: "numbers",
      with: { "noise.sigmaMaxFromData": false },
      why: "read only when sigma_max is not taken from the data (sigmaMaxFromData false)",
    },
  },
  "sde-vs-ode": {
    "sweep.nfes": SWEEP,
    "sweep.tolerances": SWEEP,
    "sweep.headlineNfe": { expect: "numbers", value: 10, why: "one of sweep.nfes" },
  },
  "ve-sde": {
    "sweep.nfes": SWEEP,
    "sweep.tolerances": SWEEP,
    "sweep.headlineNfe": { expect: "numbers", value: 50, why: "one of sweep.nfes" },
  },
  sgld: {
    "regression.noiseStd": {
      expect: "numbers",
      value: 2,
      why: "a smaller noise sharpens the posterior until the largest step size diverges (the run " +
        "refuses it, as it should); a larger one keeps every chain stable",
    },
  },
};

/** The expectation of `field` in `experiment`. */
export function expectationOf(experiment: string, field: string): Expectation {
  return BY_EXPERIMENT[experiment]?.[field] ?? EVERYWHERE[field] ?? { expect: "numbers" };
}
