/**
 * Checkpoints as training code sees them: a run hands its training loops a {@link Checkpoints};
 * each loop takes a slot by its label, saves its whole state every `every` steps, and on a resumed
 * run loads it back. Where and how they are stored is the harness's business.
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** One training loop's checkpoint: what was saved (when resuming), and saving new states. */
export interface CheckpointSlot {
  every: number;
  load(): Record<string, unknown> | null;
  save(state: Record<string, unknown>): Promise<void>;
}

/** The checkpoints of one run: a slot per training loop, in the order the loops ask. */
export interface Checkpoints {
  /** The slot of the next training loop, labelled `label`; null when not checkpointing. */
  slot(label: string): CheckpointSlot | null;
}

/** No checkpointing (tests, benchmarks, library use). */
export const NO_CHECKPOINTS: Checkpoints = { slot: () => null };

/** Float32Array -> base64 (checkpoints carry weights exactly, compactly). */
export function encodeFloats(a: Float32Array): string {
  return encodeBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Inverse of {@link encodeFloats}. */
export function decodeFloats(s: string): Float32Array {
  return new Float32Array(decodeBase64(s).buffer);
}

/** Int32Array -> base64 (a minibatch order: 50,000 indices are 267 kB, not a JSON list). */
export function encodeInts(a: Int32Array): string {
  return encodeBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Inverse of {@link encodeInts}. */
export function decodeInts(s: string): Int32Array {
  return new Int32Array(decodeBase64(s).buffer);
}
