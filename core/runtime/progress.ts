/**
 * What long work reports as it goes: phases of a known number of units. The harness shows them (a
 * bar, or lines in CI logs); code that trains or samples only ticks.
 */

/** One phase of work with a known number of units. */
export interface Phase {
  /** Advance by `n` units, with an optional short note (the current loss, say). */
  tick(n?: number, note?: string): Promise<void>;
  /** Report an event of the phase on a line of its own (a resume, say), whatever the milestones. */
  note(text: string): void;
  /** Mark the phase finished. */
  done(): void;
}

/** Progress of one experiment: its phases and their wall times. */
export interface Progress {
  phase(name: string, total: number): Phase;
  /** Seconds spent in each finished phase. */
  timings(): Record<string, number>;
}

/** Progress that shows nothing (tests, benchmarks). */
export const SILENT_PROGRESS: Progress = {
  phase: () => ({ tick: () => Promise.resolve(), note: () => {}, done: () => {} }),
  timings: () => ({}),
};
