/**
 * One lane per key: work on the same key runs one at a time, in arrival order; different keys run in
 * parallel. The intake puts every push to one branch in that branch's lane, so the pushes an instance
 * receives for one branch do not run their read-modify-write transactions on the branch document at
 * the same time: Firestore (and, far more so, its emulator) aborts all but one of such concurrent
 * transactions, and the client retries them after a backoff of a second or more, five times at most
 * (a burst of pushes to one branch answered 503 for that reason: docs/benchmarks.md).
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
