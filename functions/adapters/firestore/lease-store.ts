/**
 * The lease API's store. Every change reads, runs the core's decision and writes in one transaction:
 * ten acquires with one requestId create one lease (they all read its id; one creates it, the others
 * find it on their retry), and an acquire reads the deployment it leases, so it cannot win against a
 * teardown that moves that deployment to `deleting` (core/teardown.ts reads the leases in its own).
 */
import type { Firestore, Transaction } from '@google-cloud/firestore';
import type { AcquireClaim, AcquireOutcome, AcquireView } from '../../core/lease-acquire.js';
import type { Lease, LeaseChange } from '../../core/leases.js';
import type { LeaseStore } from '../../core/ports.js';
import type { Deployment } from '../../core/types.js';
import { deploymentFromDoc, uniqueDeployments } from './codec.js';
import { leaseDoc, leaseFromDoc, leasesFromDocs } from './lease-codec.js';
import { activeLeasesQuery, deploymentRef, deploymentsCollection, leaseRef } from './refs.js';

export class FirestoreLeaseStore implements LeaseStore {
  constructor(private readonly db: Firestore) {}

  async acquire(
    query: { leaseId: string; instance: string | null },
    decide: (view: AcquireView) => AcquireClaim | Promise<AcquireClaim>,
  ): Promise<AcquireOutcome> {
    return this.db.runTransaction(async (tx) => {
      const existing = leaseFromDoc(await tx.get(leaseRef(this.db, query.leaseId)));
      const deployments = await this.readCandidates(tx, query.instance);
      const { outcome, create } = await decide({ existing, deployments });
      if (create) tx.create(leaseRef(this.db, create.leaseId), leaseDoc(create));
      return outcome;
    });
  }

  async changeLease<R>(leaseId: string, decide: (lease: Lease) => LeaseChange<R>): Promise<R | null> {
    return this.db.runTransaction(async (tx) => {
      const ref = leaseRef(this.db, leaseId);
      const lease = leaseFromDoc(await tx.get(ref));
      if (!lease) return null;
      const { result, next } = decide(lease);
      if (next) tx.set(ref, leaseDoc(next));
      return result;
    });
  }

  async getLease(leaseId: string): Promise<Lease | null> {
    return leaseFromDoc(await leaseRef(this.db, leaseId).get());
  }

  async listActiveLeases(): Promise<Lease[]> {
    return leasesFromDocs((await activeLeasesQuery(this.db).get()).docs);
  }

  /** The pinned instance's deployment, or every ready deployment (a few: at most the capacity). */
  private async readCandidates(tx: Transaction, instance: string | null): Promise<Deployment[]> {
    if (instance !== null) {
      const deployment = deploymentFromDoc(await tx.get(deploymentRef(this.db, instance)));
      return deployment ? [deployment] : [];
    }
    const ready = await tx.get(deploymentsCollection(this.db).where('status', '==', 'ready'));
    return uniqueDeployments(ready.docs);
  }
}
