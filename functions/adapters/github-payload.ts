/**
 * GitHub webhook deliveries: signature verification (HMAC-SHA256 over the raw bytes, compared in
 * constant time) and the validation of push payloads into the core's PushEvent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseTimestamp } from '../core/time.js';
import type { PushCommit, PushEvent } from '../core/types.js';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * Verifies `X-Hub-Signature-256` against each accepted secret (current first, then the previous one).
 *
 * The HMAC is computed over the bytes as received: @octokit/webhooks' `verify()` (webhooks-methods 6)
 * compares in constant time too (`timingSafeEqual`), but takes a string, so bytes that are not UTF-8
 * would be verified as their decoded replacement characters, and it throws on an empty body.
 * The comparison is of two 32-byte digests with `timingSafeEqual`, for every secret: how long it takes
 * depends on the body's length and the number of secrets, never on how much of the signature matches.
 */
export class WebhookVerifier {
  private readonly secrets: string[];

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('WebhookVerifier needs at least one secret');
    this.secrets = [...secrets];
  }

  /** True when `signature` (`sha256=<hex>`, as GitHub sends it) signs `rawBody` with one of the secrets. */
  async isValid(rawBody: Buffer, signature: string | undefined): Promise<boolean> {
    const hex = signature === undefined ? undefined : SIGNATURE.exec(signature)?.[1];
    if (hex === undefined) return false;
    const given = Buffer.from(hex, 'hex');
    let isMatch = false;
    for (const secret of this.secrets) {
      const expected = createHmac('sha256', secret).update(rawBody).digest();
      // No early return: every secret is tried, whichever matches.
      isMatch = timingSafeEqual(expected, given) || isMatch;
    }
    return isMatch;
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
