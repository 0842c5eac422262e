/**
 * Checkpoints as training code sees them: a run hands its training loops a {@link Checkpoints};
 * each loop takes a slot by its label, saves its whole state every `every` steps, and on a resumed
 * run loads it back. Where and how they are stored is the harness's business.
 */

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
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Inverse of {@link encodeFloats}. */
export function decodeFloats(s: string): Float32Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
