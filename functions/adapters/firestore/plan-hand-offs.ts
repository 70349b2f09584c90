/**
 * Which push of a branch hands the planning over, per instance. Of a run of webhook pushes to one
 * branch queued in the branch's lane (key-lanes.ts), the last one recorded hands over the newest head
 * the run moved; the others hand over none. A burst of pushes then queues one plan task per run
 * instead of one per push: the tasks of the older heads would only be skipped as superseded, and they
 * wait in the same queue as the deploy tasks (docs/benchmarks.md, the burst).
 */
export class PlanHandOffs {
  /** Per key: webhook pushes queued whose recording has not started yet. */
  private readonly queued = new Map<string, number>();
  /** Per key: the newest head a push moved whose planning nobody handed over yet. */
  private readonly pending = new Map<string, string>();

  /** A webhook push joined the key's lane. */
  enqueued(key: string): void {
    this.queued.set(key, (this.queued.get(key) ?? 0) + 1);
  }

  /** A webhook push of the key starts recording (it left the queue). */
  started(key: string): void {
    const count = (this.queued.get(key) ?? 1) - 1;
    if (count <= 0) this.queued.delete(key);
    else this.queued.set(key, count);
  }

  /**
   * A push of the key finished recording (`movedHead`: the head it moved to, or null: it moved none,
   * or it failed). Returns the head it hands over: null while another webhook push of the key waits
   * in the lane (that one hands over the newest head), else the newest head not yet handed over.
   */
  finished(key: string, movedHead: string | null): string | null {
    if (movedHead !== null) this.pending.set(key, movedHead);
    if (this.queued.has(key)) return null;
    const head = this.pending.get(key) ?? null;
    this.pending.delete(key);
    return head;
  }
}
