/** The refresh step's store: the deployments whose Jobs it follows, and guarded status changes. */
import type { Firestore } from '@google-cloud/firestore';
import type { RefreshStore } from '../../core/ports.js';
import type { Deployment } from '../../core/types.js';
import { deploymentFromDoc, deploymentPatchDoc } from './codec.js';
import { deploymentRef, deploymentsCollection, FOLLOWED_STATUSES } from './refs.js';

export class FirestoreRefreshStore implements RefreshStore {
  constructor(private readonly db: Firestore) {}

  async listFollowedDeployments(): Promise<Deployment[]> {
    const snapshot = await deploymentsCollection(this.db)
      .where('status', 'in', [...FOLLOWED_STATUSES])
      .get();
    return snapshot.docs.map(deploymentFromDoc).filter((deployment) => deployment !== null);
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
}
