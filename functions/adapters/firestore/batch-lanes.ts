/**
 * One lane per key whose work is done in batches: items of one key are processed one batch at a time,
 * in arrival order; the items that arrived while a batch ran form the next batch (as many as `fits`
 * allows). Different keys run in parallel. The intake records the pushes of one branch this way: a
 * burst of pushes to a branch becomes a few transactions on the branch document instead of one each
 * (group commit), and the pushes of a batch can be put in the order of their chain (core/intake.ts).
 */

/** What became of one item: its result, or the error that failed it. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export interface BatchLanesOptions<T, R> {
  /** Processes one batch of one key; one Settled per item, in the order given. A throw fails them all. */
  run: (key: string, items: T[]) => Promise<Settled<R>[]>;
  /** Whether `next` may join `batch` (never asked for the first item of a batch). */
  fits: (batch: readonly T[], next: T) => boolean;
  /** Called for the items of a batch when it starts, before `run`. */
  onStart?: (key: string, items: readonly T[]) => void;
}

export class BatchLanes<T, R> {
  private readonly waiting = new Map<string, Waiting<T, R>[]>();

  constructor(private readonly options: BatchLanesOptions<T, R>) {}

  /** Queues `item` in the lane of `key`; settles as its batch settles it. */
  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      const started: Waiting<T, R>[] = [{ item, resolve, reject }];
      this.waiting.set(key, started);
      void this.drain(key, started);
    });
  }

  /** Keys with items running or waiting (for tests). */
  get busyKeys(): number {
    return this.waiting.size;
  }

  private async drain(key: string, queue: Waiting<T, R>[]): Promise<void> {
    while (queue.length > 0) {
      const batch = this.takeBatch(queue);
      const items = batch.map((entry) => entry.item);
      try {
        this.options.onStart?.(key, items);
        const settled = await this.options.run(key, items);
        batch.forEach((entry, index) => {
          const outcome = settled[index];
          if (outcome?.ok) entry.resolve(outcome.value);
          else
            entry.reject(outcome ? outcome.error : new Error('the batch returned no outcome for this item'));
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.waiting.delete(key);
  }

  private takeBatch(queue: Waiting<T, R>[]): Waiting<T, R>[] {
    const batch = [queue.shift() as Waiting<T, R>];
    while (queue.length > 0) {
      const next = queue[0] as Waiting<T, R>;
      if (
        !this.options.fits(
          batch.map((entry) => entry.item),
          next.item,
        )
      )
        break;
      batch.push(queue.shift() as Waiting<T, R>);
    }
    return batch;
  }
}
