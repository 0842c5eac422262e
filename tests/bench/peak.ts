/**
 * The roofline's ceiling: the kernels' `maddPeak` (ten independent chains of 128-bit madds, no
 * memory traffic), named once for the bench that runs it and the page that reads it.
 */

/** The bench's name. */
export const MADD_PEAK_BENCH = "kernel: 128-bit madd peak (10 chains, no memory)";
/** Rounds per call. */
export const MADD_PEAK_ROUNDS = 100_000;
/** FLOPs per call: 10 chains x 4 lanes x 2 a round. */
export const MADD_PEAK_FLOPS = MADD_PEAK_ROUNDS * 80;
