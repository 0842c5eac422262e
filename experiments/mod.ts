/** Every experiment of the harness, in the order `reproduce` runs them. */
import type { AnyExperiment } from "../core/harness/experiment.ts";
import { ddpmRing8 } from "./ddpm_ring8.ts";

/** The registry `reproduce` selects from (`--only`). */
export const EXPERIMENTS: AnyExperiment[] = [ddpmRing8];
