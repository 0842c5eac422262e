/**
 * Interrupts requested from inside a run (the testing hook `--fault-interrupt-after-checkpoint`):
 * the command line registers what an interrupt does in the main thread (the SIGTERM handler:
 * stop the workers, remove partial outputs, exit 143); a worker registers a message to the main
 * thread. A run asks with {@link requestInterrupt}, exactly as a signal would arrive.
 */
let handler: (() => void) | null = null;

/** Set what an interrupt request does in this thread. */
export function onInterruptRequest(h: (() => void) | null): void {
  handler = h;
}

/** Ask for an interrupt (as if SIGTERM arrived now). */
export function requestInterrupt(): void {
  if (!handler) {
    throw new Error("an interrupt was requested, but nothing handles it in this thread");
  }
  handler();
}
