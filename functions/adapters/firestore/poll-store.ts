/**
 * The poll fallback's store, on branches/{id}: the recorded head and the ETag of the last poll, and
 * when a fanned-out poll task last could not ask GitHub (`poll.failedAt`, `poll.error`), which the next
 * tick reports on the status page.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PollAnswer, PollTaskFailure, RecordedPollState } from '../../core/poll.js';
import type { PollStore } from '../../core/ports.js';
import { toDate } from './codec.js';
import { branchRef, COLLECTIONS } from './refs.js';

export class FirestorePollStore implements PollStore {
  constructor(private readonly db: Firestore) {}

  async readPollState(repo: string, branch: string): Promise<RecordedPollState> {
    const data = (await branchRef(this.db, repo, branch).get()).data();
    return {
      sha: typeof data?.sha === 'string' ? data.sha : null,
      deleted: data?.deleted === true,
      etag: typeof data?.poll?.etag === 'string' ? data.poll.etag : null,
      etagSha: typeof data?.poll?.sha === 'string' ? data.poll.sha : null,
    };
  }

  async writePollState(repo: string, branch: string, answer: PollAnswer, now: Date): Promise<void> {
    const poll = { etag: answer.etag, sha: answer.sha, checkedAt: now };
    await branchRef(this.db, repo, branch).set({ poll }, { merge: true });
  }

  /** In a transaction: a push recorded meanwhile (another sha) keeps its own `inDoubt`. */
  async confirmHead(repo: string, branch: string, sha: string): Promise<void> {
    const ref = branchRef(this.db, repo, branch);
    await this.db.runTransaction(async (tx) => {
      const data = (await tx.get(ref)).data();
      if (data?.sha === sha && data.inDoubt === true) tx.update(ref, { inDoubt: false });
    });
  }

  async recordPollTaskFailure(repo: string, branch: string, error: string, at: Date): Promise<void> {
    await branchRef(this.db, repo, branch).set({ poll: { failedAt: at, error } }, { merge: true });
  }

  /** One query on `poll.failedAt` (its single-field index): one read when no task failed. */
  async listPollTaskFailures(since: Date): Promise<PollTaskFailure[]> {
    const result = await this.db.collection(COLLECTIONS.branches).where('poll.failedAt', '>=', since).get();
    return result.docs.flatMap((doc) => {
      const at = toDate(doc.get('poll.failedAt'));
      const error = doc.get('poll.error');
      return at ? [{ key: doc.id, at, error: typeof error === 'string' ? error : 'no error recorded' }] : [];
    });
  }
}
