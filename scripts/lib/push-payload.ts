/**
 * Builds realistic GitHub push deliveries for the local stack and tests: a real payload from
 * @octokit/webhooks-examples, re-pointed at a repository, branch and commits, and signed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import examples from '@octokit/webhooks-examples' with { type: 'json' };

const ZERO = '0000000000000000000000000000000000000000';

export interface PushSpec {
  repo: string;
  /** Branch name, or a full ref (`refs/tags/v1`). */
  ref: string;
  before?: string;
  after?: string;
  /** Commit shas, oldest first; the last is `after` unless given. Defaults to `[after]`. */
  commits?: string[];
  created?: boolean;
  deleted?: boolean;
  forced?: boolean;
  /** `repository.pushed_at`, epoch seconds as GitHub sends it in push events. */
  pushedAt?: Date;
  message?: string;
}

/** A deterministic 40-hex sha for a label (tests read better with `sha('one')` than hex). */
export function fakeSha(label: string): string {
  return createHash('sha1').update(label).digest('hex');
}

type Example = { name: string; examples: Array<Record<string, unknown>> };

function branchPushExample(): Record<string, unknown> {
  const push = (examples as unknown as Example[]).find((entry) => entry.name === 'push');
  const example = push?.examples.find((payload) => String(payload.ref).startsWith('refs/heads/'));
  if (!example) throw new Error('@octokit/webhooks-examples has no branch push example');
  return structuredClone(example);
}

/** A push payload in GitHub's shape for `spec`. */
export function buildPushPayload(spec: PushSpec): Record<string, unknown> {
  const payload = branchPushExample();
  const ref = spec.ref.startsWith('refs/') ? spec.ref : `refs/heads/${spec.ref}`;
  const deleted = spec.deleted ?? false;
  const after = deleted ? ZERO : (spec.after ?? spec.commits?.at(-1) ?? fakeSha(randomUUID()));
  const shas = deleted ? [] : (spec.commits ?? [after]);
  const [owner = '', name = ''] = spec.repo.split('/');
  const template = payload.head_commit as Record<string, unknown>;
  const commits = shas.map((sha, index) => ({
    ...template,
    id: sha,
    tree_id: fakeSha(`tree-${sha}`),
    message: spec.message ?? `Commit ${index + 1} of ${shas.length}`,
    timestamp: (spec.pushedAt ?? new Date()).toISOString(),
    url: `https://github.com/${spec.repo}/commit/${sha}`,
  }));
  const repository = payload.repository as Record<string, unknown>;
  return {
    ...payload,
    ref,
    before: spec.before ?? ZERO,
    after,
    created: spec.created ?? spec.before === undefined,
    deleted,
    forced: spec.forced ?? false,
    compare: `https://github.com/${spec.repo}/compare/${ref}`,
    commits,
    head_commit: commits.at(-1) ?? null,
    repository: {
      ...repository,
      name,
      full_name: spec.repo,
      owner: { ...(repository.owner as object), login: owner, name: owner },
      pushed_at: Math.floor((spec.pushedAt ?? new Date()).getTime() / 1000),
    },
  };
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/** Serialises and signs a delivery the way GitHub does (`X-Hub-Signature-256` over the exact bytes). */
export async function signDelivery(
  event: string,
  payload: unknown,
  secret: string,
  deliveryId: string = randomUUID(),
): Promise<SignedDelivery> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/kubeflow-auto-deploy-dev',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': deliveryId,
      'X-Hub-Signature-256': await new Webhooks({ secret }).sign(body),
    },
  };
}
