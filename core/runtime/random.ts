/**
 * Named, seeded random streams.
 *
 * Every random draw of a run comes from a stream named for its purpose ("data", "init", "train",
 * "sample", ...), keyed by the run seed, so a change in one part never shifts the draws of another.
 * Streams are seedrandom's Alea generators; their state can be saved and restored exactly
 * (checkpoints). Sampling noise goes one step further: each sample has its own stream keyed by
 * (seed, purpose, sample index), so a sample is the same whatever the batch size, worker count or
 * shard that produced it.
 */
// @ts-types="npm:@types/seedrandom@3.0.8"
import seedrandom from "seedrandom";
import * as tf from "@tensorflow/tfjs";

/** Saved state of a {@link Stream}: the generator's state and a pending Box-Muller value. */
export interface StreamState {
  prng: object;
  spare: number | null;
}

type Alea = ReturnType<typeof seedrandom.alea> & { state(): object };

/** One named stream of draws. */
export class Stream {
  #prng: Alea;
  #spare: number | null = null;

  /** `key` names the stream (for example `scorelab/0/data`); `state` resumes a saved stream. */
  constructor(readonly key: string, state?: StreamState) {
    this.#prng =
      (state
        ? seedrandom.alea("", { state: state.prng as never })
        : seedrandom.alea(key, { state: true })) as Alea;
    if (state) this.#spare = state.spare;
  }

  /** Uniform on [0, 1) with 53 bits. */
  uniform(): number {
    return this.#prng.double();
  }

  /** Standard normal (Box-Muller: z = sqrt(-2 ln u1) cos(2 pi u2), its sine twin kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const z = this.#spare;
      this.#spare = null;
      return z;
    }
    const u1 = 1 - this.#prng.double(); // (0, 1]: log is finite
    const u2 = this.#prng.double();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#prng.double() * n);
  }

  /** A seed for a tfjs random op (a positive 31-bit integer drawn from this stream). */
  tfSeed(): number {
    return 1 + this.int(2 ** 31 - 2);
  }

  /** `n` standard normals as float32. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** The exact state, to resume this stream later. */
  state(): StreamState {
    return { prng: this.#prng.state(), spare: this.#spare };
  }

  /** Continue from a saved state, in place (closures holding this stream see the change). */
  restore(state: StreamState): void {
    this.#prng = seedrandom.alea("", { state: state.prng as never }) as Alea;
    this.#spare = state.spare;
  }
}

/** The streams of one run: one per purpose, created on first use and cached. */
export class Streams {
  #streams = new Map<string, Stream>();

  /** `prefix` namespaces every stream name (see {@link Streams.child}). */
  constructor(readonly seed: number, states?: Record<string, StreamState>, readonly prefix = "") {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    }
    for (const [name, s] of Object.entries(states ?? {})) {
      this.#streams.set(name, new Stream(streamKey(seed, name), s));
    }
  }

  /** The stream named `name` (same seed and name, same draws). */
  get(name: string): Stream {
    const full = this.prefix + name;
    let s = this.#streams.get(full);
    if (!s) {
      s = new Stream(streamKey(this.seed, full));
      this.#streams.set(full, s);
    }
    return s;
  }

  /**
   * Streams for an independent part of a run (one of several networks, say): names are prefixed by
   * `prefix/`, so the part's draws depend on nothing the other parts do.
   */
  child(prefix: string): Streams {
    return new Streams(this.seed, undefined, `${this.prefix}${prefix}/`);
  }

  /** Per-sample noise for samples `start .. start+count-1` of the purpose `name`. */
  perSample(name: string, start: number, count: number): SampleNoise {
    return new SampleNoise(this.seed, this.prefix + name, start, count);
  }

  /** States of every stream used so far (for checkpoints), by full name. */
  states(): Record<string, StreamState> {
    const out: Record<string, StreamState> = {};
    for (const [name, s] of this.#streams) out[name] = s.state();
    return out;
  }

  /** Restore saved states in place (streams already handed out continue from them). */
  restore(states: Record<string, StreamState>): void {
    for (const [full, s] of Object.entries(states)) {
      const name = full.startsWith(this.prefix) ? full.slice(this.prefix.length) : full;
      this.get(name).restore(s);
    }
  }
}

/** The key of a named stream: `scorelab/<seed>/<name>`. */
export function streamKey(seed: number, name: string): string {
  return `scorelab/${seed}/${name}`;
}

/**
 * Noise for a block of samples, each drawing from its own stream keyed by (seed, purpose, index).
 * Samplers ask for one step's noise at a time; sample i's k-th draw never depends on which other
 * samples share its batch.
 */
export class SampleNoise {
  readonly #streams: Stream[];

  constructor(readonly seed: number, readonly name: string, readonly start: number, count: number) {
    this.#streams = Array.from(
      { length: count },
      (_, i) => new Stream(`${streamKey(seed, name)}/${start + i}`),
    );
  }

  /** Number of samples in the block. */
  get count(): number {
    return this.#streams.length;
  }

  /** One step of standard normal noise, shape [count, dim]. */
  normal(dim: number): tf.Tensor2D {
    const n = this.#streams.length;
    const buf = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const s = this.#streams[i];
      for (let d = 0; d < dim; d++) buf[i * dim + d] = s.normal();
    }
    return tf.tensor2d(buf, [n, dim]);
  }

  /** One uniform draw on [0, 1) per sample, as float64 (for accept/reject tests). */
  uniform(): Float64Array {
    const out = new Float64Array(this.#streams.length);
    for (let i = 0; i < out.length; i++) out[i] = this.#streams[i].uniform();
    return out;
  }
}
