/**
 * One store write in flight while the caller prepares the next batch. A database store spends a
 * batch's write in another process (PostgreSQL), so analysing or encoding the next batch meanwhile
 * uses a second core instead of waiting; writes still commit one after another, in order. On the
 * embedded store the write is synchronous underneath and nothing changes.
 */
export interface WriteBehind {
  /** Waits for the write in flight (its error is thrown here), then starts `write` without waiting for it. */
  submit(write: () => Promise<void>): Promise<void>;
  /** Waits for the write in flight; its error is thrown here. */
  drain(): Promise<void>;
}

export function createWriteBehind(): WriteBehind {
  let inFlight: Promise<void> | undefined;
  async function drain(): Promise<void> {
    const pending = inFlight;
    inFlight = undefined;
    await pending;
  }
  return {
    async submit(write) {
      await drain();
      const started = write();
      // Awaited by the next submit or drain; a handler now keeps a failure from counting as unhandled meanwhile.
      started.catch(() => undefined);
      inFlight = started;
    },
    drain,
  };
}
