/**
 * The poll fallback's rules (GitHub never retries a failed webhook delivery, so each tick reads the
 * heads of the followed branches): which branches to poll, and what GitHub's answer means against
 * what is recorded. Pure: plain data and `now` in, decisions out.
 */
import { TICK_INTERVAL_MINUTES } from './health-view.js';
import { branchDocId, ZERO_SHA } from './names.js';
import { addMinutes } from './time.js';
import type { PushEvent, VersionConfig } from './types.js';

/** A branch head read from GitHub's REST API. */
export type PolledHead =
  /** The branch has not changed since the ETag given (HTTP 304: costs no rate limit). */
  | { kind: 'unchanged' }
  /** The branch does not exist (404). */
  | { kind: 'missing' }
  | {
      kind: 'found';
      sha: string;
      etag: string | null;
      message: string;
      author: { name: string; email: string | null; username: string | null };
      timestamp: Date | null;
      url: string | null;
    };

/** One followed branch and the versions that follow it. */
export interface BranchToPoll {
  /** `branchDocId(repo, branch)`: one entry per branch, whatever the case of the repository. */
  key: string;
  repo: string;
  branch: string;
  versions: string[];
}

/** A fanned-out poll task that could not ask GitHub about its branch (recorded on `branches/{key}`). */
export interface PollTaskFailure {
  /** `branchDocId(repo, branch)`. */
  key: string;
  at: Date;
  error: string;
}

/**
 * From when a tick reports the failures of fanned-out poll tasks: one tick interval back, so each
 * fan-out's failures are reported by the tick after it (and a late task's by the next one as well).
 */
export function pollTaskFailuresSince(now: Date): Date {
  return addMinutes(now, -TICK_INTERVAL_MINUTES);
}

/** The followed branches, each once, in config order, with the versions that follow each. */
export function branchesToPoll(versions: readonly VersionConfig[]): BranchToPoll[] {
  const branches = new Map<string, BranchToPoll>();
  for (const version of versions) {
    const key = branchDocId(version.repo, version.branch);
    const entry = branches.get(key) ?? { key, repo: version.repo, branch: version.branch, versions: [] };
    entry.versions.push(version.name);
    branches.set(key, entry);
  }
  return [...branches.values()];
}

/** What is recorded about a branch, as the poll reads it. */
export interface RecordedPollState {
  /** The recorded head, or null when none was recorded yet. */
  sha: string | null;
  deleted: boolean;
  /** The ETag of the last poll answer, for a conditional request. */
  etag: string | null;
  /** The head GitHub answered with that ETag (absent: not known, as before it was recorded). */
  etagSha?: string | null;
}

/** A poll answer to remember: its ETag, and the head it was for. */
export interface PollAnswer {
  etag: string | null;
  sha: string;
}

export type PollDecision =
  /** GitHub says the branch has not changed (304), or it is missing and nothing is recorded: nothing to do. */
  | { kind: 'unchanged' }
  /** The branch is gone: record a deletion, as a push would. */
  | { kind: 'deleted'; push: PushEvent }
  /** GitHub's head differs from the recorded one: record it; remember the ETag. */
  | { kind: 'moved'; push: PushEvent; etag: string | null }
  /** Same head as recorded: remember the ETag only. */
  | { kind: 'same'; etag: string | null };

/**
 * The ETag to send: the last answer's, when it was for the head recorded now. None while no head is
 * recorded, nor once a push moved the head since (an answer of "not modified" would then hide a
 * recorded head GitHub does not have, e.g. an older commit a same-second push left it on).
 */
export function conditionalEtag(recorded: RecordedPollState): string | null {
  return recorded.sha !== null && recorded.etagSha === recorded.sha ? recorded.etag : null;
}

/**
 * What GitHub's answer means. A missing branch is a deletion only when a live head is recorded; an
 * error is never an answer (the caller keeps what is recorded).
 */
export function decidePoll(
  branch: Pick<BranchToPoll, 'repo' | 'branch'>,
  recorded: RecordedPollState,
  polled: PolledHead,
  now: Date,
): PollDecision {
  const { repo } = branch;
  if (polled.kind === 'unchanged') return { kind: 'unchanged' };
  if (polled.kind === 'missing') {
    if (recorded.sha === null || recorded.deleted) return { kind: 'unchanged' };
    const push = pushFromPoll(
      { repo, branch: branch.branch, before: recorded.sha, after: ZERO_SHA, head: null },
      now,
    );
    return { kind: 'deleted', push };
  }
  if (polled.sha === recorded.sha && !recorded.deleted) return { kind: 'same', etag: polled.etag };
  const before = recorded.sha ?? ZERO_SHA;
  const push = pushFromPoll({ repo, branch: branch.branch, before, after: polled.sha, head: polled }, now);
  return { kind: 'moved', push, etag: polled.etag };
}

/**
 * The push the poll fallback records when GitHub's head differs from the recorded one: one commit
 * (the head), or none for a deletion (`after` all zeros). Its delivery id is derived from the branch
 * and the move, so two ticks polling the same change claim one delivery.
 */
export function pushFromPoll(
  poll: {
    repo: string;
    branch: string;
    before: string;
    after: string;
    head: Extract<PolledHead, { kind: 'found' }> | null;
  },
  now: Date,
): PushEvent {
  const { repo, branch, before, after, head } = poll;
  const key = branchDocId(repo, branch).replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    source: 'poll',
    deliveryId: `poll-${key}-${before.slice(0, 12)}-${after.slice(0, 12)}`,
    repo,
    ref: `refs/heads/${branch}`,
    before,
    after,
    created: before === ZERO_SHA,
    deleted: after === ZERO_SHA,
    forced: false,
    pusher: null,
    pushedAt: now,
    commits: head
      ? [
          {
            sha: head.sha,
            message: head.message,
            author: head.author,
            timestamp: head.timestamp,
            url: head.url,
            distinct: true,
          },
        ]
      : [],
  };
}
