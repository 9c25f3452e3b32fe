// Waiting for a condition outside a test body (hooks), where expect.poll is refused.
const POLL = { timeout: 90_000, interval: 250 };

/** Polls `read` until `ok`; throws naming `what` and the last value after 90 s. */
export async function waitFor<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + POLL.timeout;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, POLL.interval));
  }
}
