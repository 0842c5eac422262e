/**
 * Progress on long work: a bar redrawn in place on a terminal, plain milestone lines otherwise (CI
 * logs), nothing when silent. Ticking also yields to the event loop every ~250 ms, so signal handlers
 * (SIGINT, SIGTERM) run promptly even during long synchronous training.
 */
import { sampleMemory } from "./memory.ts";
import type { Phase, Progress } from "../runtime/progress.ts";

export type { Phase, Progress };

/**
 * How progress is shown: a bar, milestone lines, nothing, or (in a worker whose coordinator draws
 * the board of every running job, `board.ts`) events posted to the coordinator.
 */
export type ProgressMode = "bar" | "lines" | "silent" | "events";

/** Post a progress event to the coordinating thread (a worker's `postMessage`). */
function post(e: Record<string, unknown>): void {
  (globalThis as unknown as { postMessage(m: unknown): void }).postMessage({ progress: e });
}

/** The mode for this process: a bar when stderr is a terminal, lines otherwise. */
export function defaultProgressMode(): ProgressMode {
  return Deno.stderr.isTerminal() ? "bar" : "lines";
}

/**
 * How often a tick yields to the event loop, in ms. A yield is a setTimeout(0), which waits ~2.1 ms
 * here (measured): at one yield per 50 ms the full reproduce's profile showed 33 s of 1085 idle.
 * A message to ourselves (MessageChannel, ~0.02 ms) is no substitute: under `deno test` a pending
 * signal was not handled until the loop ended (tests/harness_test.ts).
 */
const YIELD_EVERY_MS = 250;

const encoder = new TextEncoder();
function write(s: string) {
  Deno.stderr.writeSync(encoder.encode(s));
}

/** A progress reporter for the experiment `label`. */
export function createProgress(label: string, mode: ProgressMode): Progress {
  const timings: Record<string, number> = {};
  return {
    timings: () => ({ ...timings }),
    phase(name, total) {
      const start = performance.now();
      let done = 0;
      let lastYield = start;
      let lastDraw = 0;
      let nextMilestone = 0.25;
      if (mode === "lines") write(`[${label}] ${name}: started (${total} steps)\n`);
      if (mode === "events") post({ label, phase: name, done, total });
      const draw = (note?: string) => {
        const frac = total > 0 ? done / total : 1;
        const elapsed = (performance.now() - start) / 1000;
        const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
        const width = 24;
        const fill = Math.round(frac * width);
        write(
          `\r\x1b[2K${label} · ${name} [${"#".repeat(fill)}${".".repeat(width - fill)}] ` +
            `${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ${elapsed.toFixed(1)}s` +
            ` eta ${eta.toFixed(0)}s${note ? ` · ${note}` : ""}`,
        );
      };
      return {
        note(text) {
          if (mode === "events") {
            post({ label, phase: name, done, total, line: `[${label}] ${name}: ${text}` });
          }
          if (mode === "lines") write(`[${label}] ${name}: ${text}\n`);
          else if (mode === "bar") write(`\r\x1b[2K${label} · ${name}: ${text}\n`);
        },
        async tick(n = 1, note) {
          done += n;
          const now = performance.now();
          if (mode === "bar" && now - lastDraw > 100) {
            draw(note);
            lastDraw = now;
          } else if (mode === "events" && now - lastDraw > 200) {
            post({ label, phase: name, done, total, note });
            lastDraw = now;
          } else if (
            mode === "lines" && total > 0 && done / total >= nextMilestone && done < total
          ) {
            write(
              `[${label}] ${name}: ${Math.round((done / total) * 100)}% (${done}/${total}) ` +
                `${((now - start) / 1000).toFixed(1)}s${note ? ` ${note}` : ""}\n`,
            );
            while (done / total >= nextMilestone) nextMilestone += 0.25;
          }
          if (now - lastYield > YIELD_EVERY_MS) {
            lastYield = now;
            sampleMemory();

            await new Promise((r) => setTimeout(r, 0));
          }
        },
        done() {
          const seconds = (performance.now() - start) / 1000;
          timings[name] = (timings[name] ?? 0) + seconds;
          if (mode === "bar") {
            done = total;
            draw();
            write("\n");
          } else if (mode === "lines") {
            write(`[${label}] ${name}: done in ${seconds.toFixed(1)}s\n`);
          }
        },
      };
    },
  };
}
