/**
 * Checkpoints of long training runs, so an interrupted `reproduce` can `--resume` and still produce
 * byte-identical outputs. The runner sets the checkpointing of the experiment running in this
 * thread; each training run of the experiment takes the next numbered slot, saves its complete state
 * (weights, optimizer, EMA, every random stream of the run, the minibatch order, losses and tracked
 * values) every N steps and when it finishes, atomically, under `<out>/.checkpoints/<experiment>/`.
 * A checkpoint is used only by a run of the same experiment, profile, seed and config; the folder
 * is removed when the experiment succeeds.
 */
import { join, relative } from "node:path";
import { writeJsonAtomic } from "../runtime/io.ts";
import { checkRead } from "../runtime/sandbox.ts";

/** The checkpoint folder of the run whose outputs go to `folder` under `outDir`. */
export function checkpointDir(outDir: string, folder: string): string {
  return join(outDir, ".checkpoints", folder.replaceAll("/", "__"));
}

/** Whom a checkpoint belongs to. */
export interface CheckpointIdentity {
  experiment: string;
  profile: string;
  seed: number;
  configHash: string;
}

/** The checkpointing of one experiment run. */
export interface CheckpointConfig {
  dir: string;
  every: number;
  resume: boolean;
  identity: CheckpointIdentity;
  /** Called after each checkpoint is saved, with how many this run has saved (testing hook). */
  onSaved?: (count: number) => void;
}

/** One training run's checkpoint: load what was saved (if resuming) and save new states. */
export interface CheckpointSlot {
  every: number;
  load(): Record<string, unknown> | null;
  save(state: Record<string, unknown>): Promise<void>;
}

let current: { config: CheckpointConfig; next: number; saved: number } | null = null;

/** Checkpoint the experiment about to run in this thread (null: no checkpointing). */
export function beginCheckpointing(config: CheckpointConfig | null): void {
  current = config ? { config, next: 0, saved: 0 } : null;
}

/** The experiment finished: on success its checkpoints are no longer needed. */
export function endCheckpointing(success: boolean): void {
  if (current && success) {
    try {
      Deno.removeSync(current.config.dir, { recursive: true });
    } catch { /* none written */ }
  }
  current = null;
}

/** The slot of the next training run of the current experiment, or null when not checkpointing. */
export function nextCheckpointSlot(label: string): CheckpointSlot | null {
  if (!current) return null;
  const run = current;
  const { config } = run;
  const path = join(
    config.dir,
    `${current.next++}-${label.replace(/[^A-Za-z0-9._=-]/g, "_")}.json`,
  );
  return {
    every: config.every,
    load() {
      if (!config.resume) return null;
      let saved: { identity: CheckpointIdentity; state: Record<string, unknown> };
      try {
        saved = JSON.parse(Deno.readTextFileSync(checkRead(path, "checkpoint")));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        // Checked before the run started (`unusableCheckpoints`); broken since: say so, start over.
        console.error(
          `[${config.identity.experiment}] checkpoint ${path} is unreadable: training starts over`,
        );
        return null;
      }
      const same = JSON.stringify(saved?.identity) === JSON.stringify(config.identity);
      if (!same) {
        console.error(
          `[${config.identity.experiment}] ignoring checkpoint ${path}: it belongs to another config or seed`,
        );
        return null;
      }
      return saved.state;
    },
    save: async (state) => {
      await writeJsonAtomic(path, { identity: config.identity, state });
      config.onSaved?.(++run.saved);
    },
  };
}

/**
 * The checkpoints `--resume` would use, checked before any work: each must be a JSON object with an
 * identity and a state. Returns the unusable ones (relative to `shownFrom`), never their content.
 */
export function unusableCheckpoints(dirs: string[], shownFrom: string): string[] {
  const bad: string[] = [];
  for (const dir of dirs) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.name.endsWith(".json")) continue;
      const path = join(dir, e.name);
      try {
        const saved = JSON.parse(Deno.readTextFileSync(checkRead(path, "checkpoint")));
        if (
          typeof saved !== "object" || saved === null || typeof saved.identity !== "object" ||
          saved.identity === null || typeof saved.state !== "object" || saved.state === null
        ) throw new Error("no identity or state");
      } catch {
        bad.push(relative(shownFrom, path));
      }
    }
  }
  return bad;
}

/** Float32Array <-> base64 (checkpoints carry weights exactly, compactly). */
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
