/**
 * The operator API's store. Each change reads, runs the core's decision (core/operator.ts,
 * core/operator-teardown.ts) and writes its fields and its events in one transaction, so two operators
 * pausing at once pause once and record one event. The fields are the ones operators edit in the
 * console (`versions/{name}.paused`, `pausedReason`, `forceRedeploy`; `control/drain.drained`).
 */
import type { Firestore, Transaction } from '@google-cloud/firestore';
import type { DrainState, OperatorChange, OperatorEvent, VersionControl } from '../../core/operator.js';
import type { OperatorStore } from '../../core/operator-ports.js';
import {
  type OperatorTeardownClaim,
  type OperatorTeardownOutcome,
  type OperatorTeardownView,
  operatorTeardownRequestId,
} from '../../core/operator-teardown.js';
import { deploymentFromDoc, requestDoc, requestFromDoc } from './codec.js';
import { leasesFromDocs } from './lease-codec.js';
import { drainFromDoc, eventDoc, eventFromDoc, versionControlFromDoc } from './operator-codec.js';
import {
  deploymentRef,
  drainRef,
  getAll,
  instanceLeasesQuery,
  requestRef,
  versionEventsCollection,
  versionRef,
} from './refs.js';

export class FirestoreOperatorStore implements OperatorStore {
  constructor(private readonly db: Firestore) {}

  async readControls(
    versions: readonly string[],
  ): Promise<{ controls: Map<string, VersionControl>; drain: DrainState }> {
    const docs = await getAll(this.db, [
      ...versions.map((name) => versionRef(this.db, name)),
      drainRef(this.db),
    ]);
    const controls = new Map(
      versions.map((name, index) => [name, versionControlFromDoc(docs[index]?.data())]),
    );
    return { controls, drain: drainFromDoc(docs[versions.length]?.data()) };
  }

  async changeVersion(
    version: string,
    decide: (control: VersionControl) => OperatorChange<Partial<VersionControl>>,
  ): Promise<OperatorChange<Partial<VersionControl>>> {
    return this.db.runTransaction(async (tx) => {
      const ref = versionRef(this.db, version);
      const change = decide(versionControlFromDoc((await tx.get(ref)).data()));
      // merge: a version no tick has synced yet gets its document; the config mirror is kept.
      if (change.patch) tx.set(ref, { name: version, ...change.patch }, { merge: true });
      this.recordEvents(tx, change.events);
      return change;
    });
  }

  async changeDrain(
    decide: (drain: DrainState) => OperatorChange<DrainState>,
  ): Promise<OperatorChange<DrainState>> {
    return this.db.runTransaction(async (tx) => {
      const ref = drainRef(this.db);
      const change = decide(drainFromDoc((await tx.get(ref)).data()));
      if (change.patch) tx.set(ref, change.patch);
      this.recordEvents(tx, change.events);
      return change;
    });
  }

  async requestTeardown(
    instance: string,
    decide: (view: OperatorTeardownView) => OperatorTeardownClaim,
  ): Promise<OperatorTeardownOutcome> {
    return this.db.runTransaction(async (tx) => {
      const deployment = deploymentFromDoc(await tx.get(deploymentRef(this.db, instance)));
      const [leases, existing] = deployment
        ? await Promise.all([
            tx.get(instanceLeasesQuery(this.db, instance)),
            tx.get(requestRef(this.db, operatorTeardownRequestId(deployment))),
          ])
        : [null, null];
      const { outcome, writes } = decide({
        deployment,
        leases: leases ? leasesFromDocs(leases.docs) : [],
        existing: existing ? requestFromDoc(existing) : null,
      });
      if (writes.request) tx.set(requestRef(this.db, writes.request.id), requestDoc(writes.request));
      if (writes.event) this.recordEvents(tx, [writes.event]);
      return outcome;
    });
  }

  async listVersionEvents(version: string, page: { limit: number; before?: Date }): Promise<OperatorEvent[]> {
    let query = versionEventsCollection(this.db, version).orderBy('at', 'desc');
    if (page.before) query = query.where('at', '<', page.before);
    const snapshot = await query.limit(page.limit).get();
    return snapshot.docs.map(eventFromDoc).filter((event) => event !== null);
  }

  /** Each event is created once: its id is its time and action (and instance). */
  private recordEvents(tx: Transaction, events: readonly OperatorEvent[]): void {
    for (const event of events) {
      tx.create(versionEventsCollection(this.db, event.version).doc(event.eventId), eventDoc(event));
    }
  }
}
