/**
 * Who may call what: the allow-list of principals (exact emails and `domain:` entries), what each
 * function requires of its caller, and the decision for one request given what its ID token proved.
 * Pure: the token itself is verified by an adapter (adapters/id-token-verifier.ts), which hands the
 * result here as a {@link TokenCheck}.
 *
 * Answers: no usable token (missing, malformed, bad signature, wrong audience, expired) is 401; a
 * valid token of the wrong caller (another email, an unverified email, the wrong queue) is 403.
 */

/** A verified caller, as recorded on what it changes. */
export interface Caller {
  /** Lower-case email of the token's principal. */
  email: string;
}

/** Principals allowed to change things (and to read, when the status is private). */
export interface AllowList {
  /** Exact emails, lower-case. */
  emails: readonly string[];
  /** Domains whose every verified email is allowed (`domain:example.com`), lower-case. */
  domains: readonly string[];
}

/** What a function (or a route) requires of its caller. */
export type CallerRequirement =
  | { kind: 'anyone' }
  /** One service account (Cloud Scheduler's, Cloud Tasks'); for the worker also the queue it came from. */
  | { kind: 'service-account'; email: string; queueId?: string }
  /** Any principal of the allow-list. */
  | { kind: 'principal'; allowList: AllowList };

/** What the adapter found in the Authorization header. */
export type TokenCheck =
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'valid'; email: string | null; isEmailVerified: boolean };

/** The request's answer: go on (with the caller to record), or stop with 401 or 403. */
export type AccessDecision =
  | { kind: 'allow'; caller: Caller | null }
  | { kind: 'deny'; status: 401 | 403; reason: string };

const EMAIL = /^[^\s@,:]+@([^\s@,:]+\.[^\s@,:]+)$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;

/** An empty allow-list: nobody. */
export const NOBODY: AllowList = { emails: [], domains: [] };

/**
 * Parses ALLOWED_PRINCIPALS: comma-separated emails and `domain:example.com` entries (blanks
 * ignored, case-insensitive). Every malformed entry is a problem in words.
 */
export function parseAllowList(
  text: string,
): { ok: true; allowList: AllowList } | { ok: false; problems: string[] } {
  const emails: string[] = [];
  const domains: string[] = [];
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.startsWith('domain:')) {
      const domain = entry.slice('domain:'.length);
      if (DOMAIN.test(domain)) domains.push(domain);
      else problems.push(`${JSON.stringify(raw.trim())} is not domain:<a DNS domain such as example.com>`);
    } else if (EMAIL.test(entry)) emails.push(entry);
    else problems.push(`${JSON.stringify(raw.trim())} is neither an email nor domain:<domain>`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, allowList: { emails, domains } };
}

/** Whether `email` is on the list: an exact email, or one whose domain is listed (not its subdomains). */
export function isAllowedPrincipal(allowList: AllowList, email: string): boolean {
  const normalized = email.trim().toLowerCase();
  const match = EMAIL.exec(normalized);
  if (!match) return false;
  return allowList.emails.includes(normalized) || allowList.domains.includes(match[1] as string);
}

/** The token of an `Authorization: Bearer <token>` header: null when absent, `malformed` otherwise. */
export function bearerToken(header: string | undefined): string | null | 'malformed' {
  if (header === undefined || header.trim() === '') return null;
  const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(header.trim());
  return match ? (match[1] as string) : 'malformed';
}

const deny = (status: 401 | 403, reason: string): AccessDecision => ({ kind: 'deny', status, reason });

/** The decision for a token that proved who it is. */
function decideVerified(
  requirement: Exclude<CallerRequirement, { kind: 'anyone' }>,
  email: string,
  queueName: string | undefined,
): AccessDecision {
  if (requirement.kind === 'principal') {
    return isAllowedPrincipal(requirement.allowList, email)
      ? { kind: 'allow', caller: { email } }
      : deny(403, `${email} is not an allowed principal (ALLOWED_PRINCIPALS)`);
  }
  if (email !== requirement.email.toLowerCase()) {
    return deny(403, `the caller ${email} is not ${requirement.email}`);
  }
  if (requirement.queueId !== undefined && queueName !== requirement.queueId) {
    return deny(
      403,
      `X-CloudTasks-QueueName ${JSON.stringify(queueName ?? null)} is not ${requirement.queueId}`,
    );
  }
  return { kind: 'allow', caller: { email } };
}

/**
 * Decides one request: `requirement` of the function or route, `token` as the adapter found it, and
 * `queueName` the X-CloudTasks-QueueName header (checked only where the requirement names a queue).
 */
export function decideAccess(
  requirement: CallerRequirement,
  token: TokenCheck,
  queueName?: string,
): AccessDecision {
  if (requirement.kind === 'anyone') return { kind: 'allow', caller: null };
  if (token.kind === 'missing')
    return deny(401, 'an Authorization: Bearer <Google-signed ID token> header is required');
  if (token.kind === 'invalid') return deny(401, `the ID token was refused: ${token.reason}`);
  if (token.email === null) return deny(403, 'the ID token carries no email claim');
  if (!token.isEmailVerified) return deny(403, `the email ${token.email} of the ID token is not verified`);
  return decideVerified(requirement, token.email.trim().toLowerCase(), queueName);
}

/** Methods that never change anything. */
const SAFE_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

/** How deploymentStatus is protected: its allow-list, and whether reads need it too (STATUS_PRIVATE). */
export interface StatusAccess {
  allowList: AllowList;
  isPrivate: boolean;
}

/**
 * What a status route requires for one request: an allowed principal when the route is marked
 * mutating, when the method is not a safe one (so an unmarked write route is protected all the same),
 * or when the status is private; anyone otherwise.
 */
export function statusRouteRequirement(
  access: StatusAccess,
  route: { isMutating?: boolean },
  method: string,
): CallerRequirement {
  const isMutating = route.isMutating === true || !SAFE_METHODS.includes(method.toUpperCase());
  return isMutating || access.isPrivate
    ? { kind: 'principal', allowList: access.allowList }
    : { kind: 'anyone' };
}
