/**
 * One lane per key: work on the same key runs one at a time, in arrival order; different keys run in
 * parallel. The worker's store runs an instance's launch and teardown claims in one lane
 * (launch-store.ts): concurrent transactions that read the same documents and write into what the
 * others read abort each other in Firestore (far more so in its emulator), and the client retries
 * them after a backoff of a second or more. (The intake batches instead: batch-lanes.ts.)
 */
export class KeyLanes {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` after every earlier work of `key` settled; resolves or rejects as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work running or waiting (for tests). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
