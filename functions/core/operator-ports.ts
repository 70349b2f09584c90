/**
 * The operator API's ports (core/operator.ts, core/operator-teardown.ts, core/plan-view.ts), apart from
 * core/ports.ts so that file stays one screen of the pipeline's ports. Adapter:
 * functions/adapters/firestore/operator-store.ts; in memory: test/support/memory-operator-store.ts.
 */
import type { DrainState, OperatorChange, OperatorEvent, VersionControl } from './operator.js';
import type {
  OperatorTeardownClaim,
  OperatorTeardownOutcome,
  OperatorTeardownView,
} from './operator-teardown.js';
import type { PlanStore } from './ports.js';

/** What the dry run (`GET /api/plan`) reads: the planner's snapshot, nothing written. */
export type PlanSnapshotReader = Pick<PlanStore, 'readSnapshot'>;

/** A version's operator events, newest first: the history page lists them. */
export interface VersionEventReader {
  /** At most `limit` events of `version`, newest first; with `before`, only those strictly older. */
  listVersionEvents(version: string, page: { limit: number; before?: Date }): Promise<OperatorEvent[]>;
}

/**
 * What the operator API needs from storage. Each change reads, decides (the pure function given) and
 * writes its fields and its events in one transaction.
 */
export interface OperatorStore extends VersionEventReader {
  /** The operator fields of these versions (defaults for a version without a document) and the drain. */
  readControls(
    versions: readonly string[],
  ): Promise<{ controls: Map<string, VersionControl>; drain: DrainState }>;
  /** In one transaction: reads versions/{version}, applies `decide`'s patch and records its events. */
  changeVersion(
    version: string,
    decide: (control: VersionControl) => OperatorChange<Partial<VersionControl>>,
  ): Promise<OperatorChange<Partial<VersionControl>>>;
  /** In one transaction: reads control/drain, writes `decide`'s state and records its events. */
  changeDrain(decide: (drain: DrainState) => OperatorChange<DrainState>): Promise<OperatorChange<DrainState>>;
  /**
   * In one transaction: reads the deployment of `instance`, its leases and the request of its next
   * teardown id; writes the request and the event `decide` returns.
   */
  requestTeardown(
    instance: string,
    decide: (view: OperatorTeardownView) => OperatorTeardownClaim,
  ): Promise<OperatorTeardownOutcome>;
}
