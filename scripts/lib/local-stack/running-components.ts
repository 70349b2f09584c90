/**
 * The components of the local stack that are running. Each component has a starter that resolves to
 * what it contributes (hosts, URLs, adapters) and, when it left something running, its `stop`.
 */
import { describeError, type Logger } from '../../../functions/log.js';

/** What every starter resolves to: `stop` when it left something running, besides its contribution. */
export interface Started {
  stop?: () => Promise<void>;
}

/** The started components, stopped newest first. */
export class RunningComponents {
  private readonly stops: Array<() => Promise<void>> = [];

  constructor(private readonly logger: Logger) {}

  /** Waits for a starter and keeps its `stop`; resolves to what the component contributes. */
  async add<T extends Started>(starting: T | Promise<T>): Promise<T> {
    const started = await starting;
    if (started.stop) this.stops.push(started.stop);
    return started;
  }

  /** Stops every component, newest first; a failure is logged and the rest still stop. Safe to repeat. */
  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      await stop().catch((err: unknown) =>
        this.logger.warn('stopping a component failed', describeError(err)),
      );
    }
  }
}
