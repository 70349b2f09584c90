/**
 * The deployments store of the tick's steps (refresh, inventory, verify, Job cleanup): deployments by
 * status or recent, guarded status changes (a change made meanwhile by a worker wins; the next tick looks
 * again), and create-once records of adopted clusters.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { DeploymentStore } from '../../core/ports.js';
import type { Deployment, DeploymentStatus } from '../../core/types.js';
import { isAlreadyExists } from '../grpc-codes.js';
import { deploymentDoc, deploymentFromDoc, deploymentPatchDoc } from './codec.js';
import { deploymentRef, deploymentsCollection, readRecentDeployments } from './refs.js';

export class FirestoreDeploymentStore implements DeploymentStore {
  constructor(private readonly db: Firestore) {}

  async listDeployments(statuses: readonly DeploymentStatus[]): Promise<Deployment[]> {
    const snapshot = await deploymentsCollection(this.db)
      .where('status', 'in', [...statuses])
      .get();
    return snapshot.docs.map(deploymentFromDoc).filter((deployment) => deployment !== null);
  }

  listRecentDeployments(now: Date): Promise<Deployment[]> {
    return readRecentDeployments(this.db, now);
  }

  async updateDeploymentIf(
    deployment: Deployment,
    patch: Partial<Deployment>,
  ): Promise<'updated' | 'changed-meanwhile'> {
    const ref = deploymentRef(this.db, deployment.instance);
    return this.db.runTransaction(async (tx) => {
      const current = deploymentFromDoc(await tx.get(ref));
      if (!current || current.status !== deployment.status || +current.updatedAt !== +deployment.updatedAt) {
        return 'changed-meanwhile';
      }
      tx.update(ref, deploymentPatchDoc(patch));
      return 'updated';
    });
  }

  async createDeploymentIfAbsent(deployment: Deployment): Promise<boolean> {
    try {
      await deploymentRef(this.db, deployment.instance).create(deploymentDoc(deployment));
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }
}
