/**
 * The status function's view of Firestore: each version with its head and decision, recent deployments,
 * the live leases, the last tick's health, and (history-reads.ts) the timelines' and the history page's reads.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { HistoryQuery, VersionHistory } from '../../core/history.js';
import { type Lease, liveLeases } from '../../core/leases.js';
import type { StatusReader } from '../../core/ports.js';
import type { TickHealth } from '../../core/tick-health.js';
import type { TimelineView } from '../../core/timeline.js';
import type { Deployment, VersionConfig, VersionView } from '../../core/types.js';
import { decisionFromDoc, requiredDate, toDate } from './codec.js';
import { FirestoreTickHealthStore } from './health-store.js';
import { readTimelineView, readVersionHistoryPage } from './history-reads.js';
import { leasesFromDocs } from './lease-codec.js';
import { activeLeasesQuery, branchRef, getAll, readRecentDeployments, versionRef } from './refs.js';

export class FirestoreStatusReader implements StatusReader {
  constructor(
    private readonly db: Firestore,
    private readonly versions: VersionConfig[],
    private readonly clock: () => Date,
  ) {}

  async listVersions(): Promise<VersionView[]> {
    const count = this.versions.length;
    const docs = await getAll(this.db, [
      ...this.versions.map((version) => versionRef(this.db, version.name)),
      ...this.versions.map((version) => branchRef(this.db, version.repo, version.branch)),
    ]);
    return this.versions.map((version, index) => {
      const stored = docs[index]?.data();
      const branch = docs[count + index]?.data();
      return {
        name: version.name,
        repo: version.repo,
        branch: version.branch,
        kfctlUrl: version.kfctlUrl,
        paused: version.paused || stored?.paused === true,
        head:
          typeof branch?.sha === 'string'
            ? { sha: branch.sha, deleted: branch.deleted === true, updatedAt: requiredDate(branch.updatedAt) }
            : null,
        decision: stored?.decision ? decisionFromDoc(version.name, stored.decision) : null,
        decidedAt: toDate(stored?.decidedAt),
      };
    });
  }

  /** Deployments not deleted plus recently deleted ones, newest first. */
  async listDeployments(): Promise<Deployment[]> {
    const deployments = await readRecentDeployments(this.db, this.clock());
    return deployments.sort((a, b) => +b.createdAt - +a.createdAt);
  }

  /** Live leases, soonest to expire first (active ones past their time are left out). */
  async listLeases(): Promise<Lease[]> {
    const active = leasesFromDocs((await activeLeasesQuery(this.db).get()).docs);
    return liveLeases(active, this.clock());
  }

  /** Deployments deleted since `since`, leases closed since, and the pushes since, for the timelines. */
  readTimeline(since: Date): Promise<TimelineView> {
    return readTimelineView(this.db, this.versions, since);
  }

  /** The last tick's health (`health/tick`), or null before the first tick. */
  readTickHealth(): Promise<TickHealth | null> {
    return new FirestoreTickHealthStore(this.db).readTickHealth();
  }

  /** One page of a version's deployments, newest first, with their requests, commits and leases. */
  readVersionHistory(query: HistoryQuery): Promise<VersionHistory | null> {
    return readVersionHistoryPage(this.db, query);
  }
}
