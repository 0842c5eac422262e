/** Every experiment of the harness, in the order `reproduce` runs them. */
import type { AnyExperiment } from "../core/harness/experiment.ts";
import { ddpmRing8 } from "./ddpm_ring8.ts";
import { ddpmRing8Improved } from "./ddpm_ring8_improved.ts";
import { ddpmLossForms } from "./ddpm_loss_forms.ts";
import { scoreFields, swissRollFields } from "./score_fields.ts";
import { scoreMatchingObjectives } from "./score_matching_objectives.ts";
import { langevinMcmc } from "./langevin_mcmc.ts";
import { ncsnThreeClusters } from "./ncsn_three_clusters.ts";
import { ncsnThreeClustersImproved } from "./ncsn_three_clusters_improved.ts";
import { sdeVsOde } from "./sde_vs_ode.ts";
import { ddpm1d } from "./ddpm_1d.ts";
import { nllOracle } from "./nll_oracle.ts";
import { conditionalOnehot } from "./conditional_onehot.ts";
import { conditionalRadius } from "./conditional_radius.ts";
import { guidance, guidanceOverlap } from "./guidance.ts";
import { ringDemo } from "./ring_demo.ts";
import { forwardChainExperiment } from "./forward_chain.ts";
import { veSdeExperiment } from "./ve_sde.ts";
import { langevinFormsExperiment } from "./langevin_forms.ts";
import { ddpmSchedulesExperiment } from "./ddpm_schedules.ts";
import { seed002Pipeline } from "./seed002_pipeline.ts";
import { sgldExperiment } from "./sgld.ts";
import { latentInterpolation } from "./latent_interpolation.ts";

/** The registry `reproduce` selects from (`--only`). */
export const EXPERIMENTS: AnyExperiment[] = [
  ddpmRing8,
  scoreFields,
  scoreMatchingObjectives,
  langevinMcmc,
  ncsnThreeClusters,
  ncsnThreeClustersImproved,
  sdeVsOde,
  ddpm1d,
  nllOracle,
  conditionalOnehot,
  conditionalRadius,
  guidance,
  ringDemo,
  forwardChainExperiment,
  veSdeExperiment,
  langevinFormsExperiment,
  ddpmSchedulesExperiment,
  swissRollFields,
  seed002Pipeline,
  sgldExperiment,
  latentInterpolation,
  guidanceOverlap,
  ddpmRing8Improved,
  ddpmLossForms,
];
