/**
 * The operator API's store in memory (core/operator-ports.ts), on the shared MemoryState of
 * memory-stores.ts: the switches the planner reads, the drain, the requests and the events. Each change
 * reads, decides and writes at once, as the Firestore store's transactions do.
 */
import {
  type DrainState,
  NO_CONTROL,
  type OperatorChange,
  type OperatorEvent,
  type VersionControl,
} from '../../functions/core/operator.js';
import type { OperatorStore } from '../../functions/core/operator-ports.js';
import {
  type OperatorTeardownClaim,
  type OperatorTeardownOutcome,
  type OperatorTeardownView,
  operatorTeardownRequestId,
} from '../../functions/core/operator-teardown.js';
import type { MemoryState } from './memory-stores.js';

export class MemoryOperatorStore implements OperatorStore {
  constructor(private readonly state: MemoryState) {}

  private control(version: string): VersionControl {
    const switches = this.state.switches.get(version);
    return {
      ...NO_CONTROL,
      ...this.state.pauseDetails.get(version),
      paused: switches?.paused ?? false,
      forceRedeploy: switches?.forceRedeploy ?? false,
    };
  }

  async readControls(versions: readonly string[]) {
    return { controls: new Map(versions.map((name) => [name, this.control(name)])), drain: this.state.drain };
  }

  async changeVersion(
    version: string,
    decide: (control: VersionControl) => OperatorChange<Partial<VersionControl>>,
  ): Promise<OperatorChange<Partial<VersionControl>>> {
    this.state.count('changeVersion');
    const current = this.control(version);
    const change = decide(current);
    if (change.patch) {
      const next = { ...current, ...change.patch };
      this.state.switches.set(version, { paused: next.paused, forceRedeploy: next.forceRedeploy });
      const { pausedReason, pausedBy, pausedAt } = next;
      this.state.pauseDetails.set(version, { pausedReason, pausedBy, pausedAt });
    }
    this.state.events.push(...change.events);
    return change;
  }

  async changeDrain(
    decide: (drain: DrainState) => OperatorChange<DrainState>,
  ): Promise<OperatorChange<DrainState>> {
    this.state.count('changeDrain');
    const change = decide(this.state.drain);
    if (change.patch) this.state.drain = change.patch;
    this.state.events.push(...change.events);
    return change;
  }

  async requestTeardown(
    instance: string,
    decide: (view: OperatorTeardownView) => OperatorTeardownClaim,
  ): Promise<OperatorTeardownOutcome> {
    this.state.count('requestTeardown');
    const stored = this.state.deployments.get(instance);
    const existing = stored ? this.state.requests.get(operatorTeardownRequestId(stored)) : undefined;
    const { outcome, writes } = decide({
      deployment: stored ? { ...stored } : null,
      leases: this.state.leaseList((lease) => lease.instance === instance),
      existing: existing ? { ...existing } : null,
    });
    if (writes.request) this.state.requests.set(writes.request.id, { ...writes.request });
    if (writes.event) this.state.events.push(writes.event);
    return outcome;
  }

  async listVersionEvents(version: string, page: { limit: number; before?: Date }): Promise<OperatorEvent[]> {
    return this.state.events
      .filter((event) => event.version === version && (!page.before || event.at < page.before))
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, page.limit);
  }
}
