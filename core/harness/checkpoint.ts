/**
 * Checkpoints of long training runs, so an interrupted `reproduce` can `--resume` and still produce
 * byte-identical outputs. Each job gets its own {@link RunCheckpoints} in its context; each training
 * loop of the job takes the next numbered slot, saves its complete state
 * (weights, optimizer, EMA, every random stream of the run, the minibatch order, losses and tracked
 * values) every N steps and when it finishes, atomically, under `<out>/.checkpoints/<experiment>/`.
 * A checkpoint is used only by a run of the same experiment, profile, seed and config; the folder
 * is removed when the experiment succeeds.
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../runtime/io.ts";
import { checkRead } from "../runtime/sandbox.ts";
import type { Checkpoints, CheckpointSlot } from "../runtime/checkpoints.ts";

/** The checkpoint folder of the run whose outputs go to `folder` under `outDir`. */
export function checkpointDir(outDir: string, folder: string): string {
  return join(outDir, ".checkpoints", folder.replaceAll("/", "__"));
}

/** The folder name of a run's part (for its checkpoints: beside the run's own). */
export function partFolder(folder: string, part: string): string {
  return `${folder}/part-${part}`;
}

/** The checkpoint folder of a run's part. */
export function partCheckpointDir(outDir: string, folder: string, part: string): string {
  return checkpointDir(outDir, partFolder(folder, part));
}

/** Remove the checkpoints of a run's parts (its folder is written: they are no longer needed). */
export function removePartCheckpoints(outDir: string, folder: string, parts: string[]): void {
  for (const part of parts) {
    try {
      Deno.removeSync(partCheckpointDir(outDir, folder, part), { recursive: true });
    } catch { /* none written */ }
  }
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

/**
 * The checkpoints of one job (a run or a part), kept in its folder under `<out>/.checkpoints/`:
 * each training loop takes the next numbered slot; {@link RunCheckpoints.finish} removes the folder
 * once the job's outputs are safely written.
 */
export class RunCheckpoints implements Checkpoints {
  #next = 0;
  #saved = 0;

  constructor(readonly config: CheckpointConfig) {}

  slot(label: string): CheckpointSlot | null {
    const config = this.config;
    const path = join(
      config.dir,
      `${this.#next++}-${label.replace(/[^A-Za-z0-9._=-]/g, "_")}.json`,
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
        // One line: a checkpoint is read by resume, not by people (indenting a minibatch order
        // or a loss curve made it several times larger and slower to write).
        await writeFileAtomic(path, JSON.stringify({ identity: config.identity, state }));
        config.onSaved?.(++this.#saved);
      },
    };
  }

  /** The job ended: on success its checkpoints are no longer needed. */
  finish(success: boolean): void {
    if (!success) return;
    try {
      Deno.removeSync(this.config.dir, { recursive: true });
    } catch { /* none written */ }
  }
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
