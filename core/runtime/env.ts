/**
 * What a run's code receives from the harness besides its config: the seeded random streams, the
 * progress reporter and the checkpoints. Recipes take this, never the harness itself.
 */
import type { Streams } from "./random.ts";
import type { Progress } from "./progress.ts";
import type { Checkpoints } from "./checkpoints.ts";

/** The run's streams, progress and checkpoints. */
export interface RunEnv {
  streams: Streams;
  progress: Progress;
  /** The job's checkpoints: every training loop saves and resumes through them. */
  checkpoints: Checkpoints;
}
