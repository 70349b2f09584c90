/**
 * The pushes of one branch's chain for intake-order tests: commit n is `chainSha(n)`, and push n goes
 * from commit n-1 to commit n, all pushed in the same second (GitHub's `pushed_at` ties them).
 */
import type { BranchHead, PushEvent } from '../../functions/core/types.js';

export const CHAIN_REPO = 'kubeflow/manifests';
export const CHAIN_SECOND = new Date('2026-11-30T10:00:00.000Z');

/** Commit n of the chain (0 is the start). */
export const chainSha = (n: number) => `c${n.toString(16).padStart(39, '0')}`;

/** Push n of the chain. */
export function chainLink(n: number, fields: Partial<PushEvent> = {}): PushEvent {
  return {
    source: 'webhook',
    deliveryId: `delivery-${n}`,
    repo: CHAIN_REPO,
    ref: 'refs/heads/master',
    before: chainSha(n - 1),
    after: chainSha(n),
    created: false,
    deleted: false,
    forced: false,
    pusher: 'ada',
    pushedAt: CHAIN_SECOND,
    commits: [],
    ...fields,
  };
}

/** The branch head recorded at commit `at`, having moved past `recent`. */
export function chainHead(at: number, recent: number[] = []): BranchHead {
  return {
    repo: CHAIN_REPO,
    branch: 'master',
    sha: chainSha(at),
    deleted: false,
    updatedAt: CHAIN_SECOND,
    pushedAt: CHAIN_SECOND,
    forced: false,
    source: 'webhook',
    deliveryId: `delivery-${at}`,
    recentShas: recent.map(chainSha),
  };
}
