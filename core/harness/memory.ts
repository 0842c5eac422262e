/**
 * Peak resident memory of the process, sampled whenever progress yields (every ~50 ms of work) and
 * after each experiment: the figure the summary reports.
 */
let peak = 0;

/** Record the current resident set size; returns it in bytes. */
export function sampleMemory(): number {
  const rss = Deno.memoryUsage().rss;
  if (rss > peak) peak = rss;
  return rss;
}

/** The largest resident set size seen so far, in MiB. */
export function peakMemoryMiB(): number {
  sampleMemory();
  return peak / 2 ** 20;
}
