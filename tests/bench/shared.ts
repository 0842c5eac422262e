/** What the bench groups share: the backend, the seed's data, and fixed streams. */
import { initBackend } from "../../core/runtime/backend.ts";
import { Streams } from "../../core/runtime/random.ts";
import { DATASETS } from "../../core/data/datasets.ts";

await initBackend();

/** Streams of every bench (seed 0). */
export const streams = new Streams(0);
/** 5000 points of ring8, the seed's training set. */
export const ring8 = DATASETS.ring8.sample(5000, streams.get("data"));
/** The seed's DDPM chain length and batch. */
export const T = 200, B = 256;
