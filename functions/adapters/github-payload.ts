/**
 * GitHub webhook deliveries: signature verification (with @octokit/webhooks, on the raw
 * bytes) and the validation of push payloads into the core's PushEvent.
 */
import { Webhooks } from '@octokit/webhooks';
import { z } from 'zod';
import { parseTimestamp } from '../core/time.js';
import type { PushCommit, PushEvent } from '../core/types.js';

/** Verifies `X-Hub-Signature-256` against each accepted secret (current first, then the previous one). */
export class WebhookVerifier {
  private readonly verifiers: Webhooks[];

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('WebhookVerifier needs at least one secret');
    this.verifiers = secrets.map((secret) => new Webhooks({ secret }));
  }

  /** True when `signature` (`sha256=<hex>`) signs `rawBody` with one of the secrets. */
  async isValid(rawBody: Buffer, signature: string | undefined): Promise<boolean> {
    // verify() throws on an empty signature: an absent or malformed header is simply invalid.
    if (!signature || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
    const payload = rawBody.toString('utf8');
    for (const verifier of this.verifiers) {
      if (await verifier.verify(payload, signature)) return true;
    }
    return false;
  }
}

const sha = z.string().regex(/^[0-9a-f]{40}$/i, { error: 'must be a 40-character hex sha' });

const commitSchema = z.object({
  id: sha,
  message: z.string(),
  timestamp: z.string().nullish(),
  url: z.string().nullish(),
  distinct: z.boolean().nullish(),
  author: z
    .object({ name: z.string().nullish(), email: z.string().nullish(), username: z.string().nullish() })
    .nullish(),
});

const pushSchema = z.object({
  ref: z.string().min(1),
  before: sha,
  after: sha,
  created: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  forced: z.boolean().nullish(),
  commits: z.array(commitSchema).nullish(),
  pusher: z.object({ name: z.string().nullish(), username: z.string().nullish() }).nullish(),
  repository: z.object({
    full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, { error: "must be 'owner/name'" }),
    // A number (epoch seconds) in push events, an ISO string elsewhere.
    pushed_at: z.union([z.number(), z.string()]).nullish(),
  }),
});

/** Thrown when a delivery's body is not a valid event of its kind. */
export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
}

/** Validates a parsed push payload and normalises it. Throws InvalidPayloadError naming the bad fields. */
export function parsePushPayload(body: unknown, deliveryId: string): PushEvent {
  const result = pushSchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
    throw new InvalidPayloadError(`not a valid push event: ${problems.join('; ')}`);
  }
  const push = result.data;
  const commits: PushCommit[] = (push.commits ?? []).map((commit) => ({
    sha: commit.id.toLowerCase(),
    message: commit.message,
    author: {
      name: commit.author?.name ?? '',
      email: commit.author?.email ?? null,
      username: commit.author?.username ?? null,
    },
    timestamp: parseTimestamp(commit.timestamp),
    url: commit.url ?? null,
    distinct: commit.distinct ?? true,
  }));
  return {
    source: 'webhook',
    deliveryId,
    repo: push.repository.full_name,
    ref: push.ref,
    before: push.before.toLowerCase(),
    after: push.after.toLowerCase(),
    created: push.created ?? false,
    deleted: push.deleted ?? false,
    forced: push.forced ?? false,
    pusher: push.pusher?.username ?? push.pusher?.name ?? null,
    pushedAt: parseTimestamp(push.repository.pushed_at),
    commits,
  };
}
