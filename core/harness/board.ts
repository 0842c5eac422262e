/**
 * The terminal view of a multi-worker `reproduce`: one line per running job, redrawn in place, and
 * an overall line with the runs done and an ETA. Workers post their progress as events (progress
 * mode "events"); this board, in the coordinating thread, draws them. The ETA is the cost model's
 * (fixtures/costs.json) remaining seconds over the workers, scaled by how fast the finished jobs
 * went against their estimates. In CI logs and pipes the workers print plain lines instead.
 */

/** A progress event of a job, posted by a worker. */
export interface ProgressEvent {
  label: string;
  phase: string;
  done: number;
  total: number;
  note?: string;
  /** A line to print above the board (a resume, a failure). */
  line?: string;
}

const encoder = new TextEncoder();

/** The live board. */
export class Board {
  #jobs = new Map<string, { event?: ProgressEvent; cost: number; start: number }>();
  #drawn = 0;
  #doneJobs = 0;
  #doneCost = 0;
  #doneSeconds = 0;
  #remainingCost: number;
  #last = 0;
  readonly #start = performance.now();

  /** `totalCost`: the cost model's seconds of every job; `jobs`: their count; `workers`: in use. */
  constructor(
    readonly totalCost: number,
    readonly jobs: number,
    readonly workers: number,
    readonly write: (s: string) => void = (s) => Deno.stderr.writeSync(encoder.encode(s)),
  ) {
    this.#remainingCost = totalCost;
  }

  /** A job started on a worker. */
  started(label: string, cost: number): void {
    this.#jobs.set(label, { cost, start: performance.now() });
    this.#draw(true);
  }

  /** A job's progress. */
  progress(e: ProgressEvent): void {
    if (e.line) {
      this.#clear();
      this.write(e.line.endsWith("\n") ? e.line : e.line + "\n");
      this.#drawn = 0;
    }
    const job = this.#jobs.get(e.label);
    if (job) job.event = e;
    this.#draw(false);
  }

  /** A job finished. */
  finished(label: string): void {
    const job = this.#jobs.get(label);
    if (job) {
      this.#doneJobs++;
      this.#doneCost += job.cost;
      this.#doneSeconds += (performance.now() - job.start) / 1000;
      this.#remainingCost -= job.cost;
      this.#jobs.delete(label);
    }
    this.#draw(true);
  }

  /** Seconds left by the cost model, scaled by the finished jobs' speed, over the workers. */
  eta(): number {
    const speed = this.#doneCost > 0 ? this.#doneSeconds / this.#doneCost : 1;
    let left = 0;
    for (const j of this.#jobs.values()) {
      left += Math.max(j.cost * speed - (performance.now() - j.start) / 1000, 0);
    }
    const queued = Math.max(
      this.#remainingCost - [...this.#jobs.values()].reduce((a, j) => a + j.cost, 0),
      0,
    );
    return (left + queued * speed) / Math.max(this.workers, 1);
  }

  /** Remove the board from the terminal (the run is over). */
  close(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn > 0) this.write(`\x1b[${this.#drawn}A\x1b[0J`);
    this.#drawn = 0;
  }

  #draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const cols = Deno.stderr.isTerminal() ? Deno.consoleSize().columns : 120;
    const lines = [...this.#jobs.entries()].map(([label, j]) => {
      const e = j.event;
      const pct = e && e.total > 0 ? Math.round((100 * e.done) / e.total) : 0;
      const bar = "#".repeat(Math.round(pct / 5)).padEnd(20, ".");
      const text = e
        ? `${label} · ${e.phase} [${bar}] ${String(pct).padStart(3)}% ${e.done}/${e.total}${
          e.note ? ` · ${e.note}` : ""
        }`
        : `${label} · starting`;
      return text.slice(0, cols - 1);
    });
    const elapsed = (now - this.#start) / 1000;
    lines.push(
      `jobs ${this.#doneJobs}/${this.jobs} done · ${this.#jobs.size} running · ${
        clock(elapsed)
      } elapsed · ETA ${clock(this.eta())}`.slice(0, cols - 1),
    );
    this.#clear();
    this.write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#drawn = lines.length;
  }
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(r).padStart(2, "0")}`;
}
