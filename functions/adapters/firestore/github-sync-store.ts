/**
 * The GitHub deployments sync's store: the deployments it looks at, and its record on each
 * (`deployments/{instance}.github`), claimed and settled in transactions that write that field only.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { GitHubStep } from '../../core/github-deployments.js';
import type { GitHubSyncStore } from '../../core/ports.js';
import type { Deployment, GitHubDeploymentRecord } from '../../core/types.js';
import { deploymentFromDoc, githubRecordDoc, uniqueDeployments } from './codec.js';
import { deploymentRef, deploymentsCollection } from './refs.js';

export class FirestoreGitHubSyncStore implements GitHubSyncStore {
  constructor(private readonly db: Firestore) {}

  /** Every deployment not deleted, and the deleted ones still `open` on GitHub: two single-field queries. */
  async listGitHubCandidates(): Promise<Deployment[]> {
    const queries = [
      deploymentsCollection(this.db).where('status', '!=', 'deleted'),
      deploymentsCollection(this.db).where('github.open', '==', true),
    ];
    const results = await Promise.all(queries.map((query) => query.get()));
    return uniqueDeployments(results.flatMap((result) => result.docs));
  }

  async claimGitHubSync(
    instance: string,
    decide: (deployment: Deployment) => { step: GitHubStep; record: GitHubDeploymentRecord | null },
  ): Promise<GitHubStep | null> {
    const ref = deploymentRef(this.db, instance);
    return this.db.runTransaction(async (tx) => {
      const deployment = deploymentFromDoc(await tx.get(ref));
      if (!deployment) return null;
      const { step, record } = decide(deployment);
      if (record) tx.update(ref, { github: githubRecordDoc(record) });
      return step;
    });
  }

  async writeGitHubRecord(
    instance: string,
    update: (current: GitHubDeploymentRecord | undefined) => GitHubDeploymentRecord,
  ): Promise<void> {
    const ref = deploymentRef(this.db, instance);
    await this.db.runTransaction(async (tx) => {
      const deployment = deploymentFromDoc(await tx.get(ref));
      if (deployment) tx.update(ref, { github: githubRecordDoc(update(deployment.github)) });
    });
  }
}
