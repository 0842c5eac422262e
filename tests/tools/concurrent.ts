/** Running independent async jobs a few at a time (test processes, browser tabs). */

/**
 * `fn` over `items`, at most `concurrency` calls in flight; the results in the items' order.
 * Jobs must not share files or state.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]);
  }));
  return results;
}
