/** The promises of `drain()`: settled when the emulator becomes idle, or rejected on timeout or stop. */

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Callers waiting for the emulator to become idle. */
export class DrainWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves on {@link resolveAll}; rejects after `timeoutMs` with `describe()` in the message. */
  wait(timeoutMs: number, describe: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`Tasks emulator not idle after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timeout);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timeout);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  get isEmpty(): boolean {
    return this.waiters.size === 0;
  }

  resolveAll(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  rejectAll(error: Error): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }
}
