/** The poll fallback's store: the recorded head and the ETag of the last poll, on branches/{id}. */
import type { Firestore } from '@google-cloud/firestore';
import type { RecordedPollState } from '../../core/poll.js';
import type { PollStore } from '../../core/ports.js';
import { branchRef } from './refs.js';

export class FirestorePollStore implements PollStore {
  constructor(private readonly db: Firestore) {}

  async readPollState(repo: string, branch: string): Promise<RecordedPollState> {
    const data = (await branchRef(this.db, repo, branch).get()).data();
    return {
      sha: typeof data?.sha === 'string' ? data.sha : null,
      deleted: data?.deleted === true,
      etag: typeof data?.poll?.etag === 'string' ? data.poll.etag : null,
    };
  }

  async writePollState(repo: string, branch: string, etag: string | null, now: Date): Promise<void> {
    await branchRef(this.db, repo, branch).set({ poll: { etag, checkedAt: now } }, { merge: true });
  }
}
