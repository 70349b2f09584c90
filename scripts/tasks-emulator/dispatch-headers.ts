/**
 * The headers of one attempt, as Cloud Tasks sends them: the task's own, User-Agent, the
 * X-CloudTasks-* headers, and an Authorization header for a task with an OIDC or OAuth token.
 */
import type { TaskState } from './state.js';

const OIDC_TOKEN_LIFETIME_S = 3600;
/** Prefix of the fake OAuth bearer token sent for tasks with an oauth_token. */
export const OAUTH_PLACEHOLDER_PREFIX = 'tasks-emulator-unsigned-oauth-token-for-';

/**
 * Builds an UNSIGNED, JWT-shaped string (`header.payload.` with an empty signature and `alg: none`).
 * This is NOT a real Google-signed OIDC token and proves nothing: it exists only so a local receiver
 * can read the claims Cloud Tasks would send (email, aud, iat, exp). Development and tests only.
 */
export function buildUnsignedOidcToken(serviceAccountEmail: string, audience: string, nowMs: number): string {
  const issuedAt = Math.floor(nowMs / 1000);
  const header = { alg: 'none', typ: 'JWT', kid: 'tasks-emulator-unsigned' };
  const payload = {
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: serviceAccountEmail,
    sub: serviceAccountEmail,
    email: serviceAccountEmail,
    email_verified: true,
    iat: issuedAt,
    exp: issuedAt + OIDC_TOKEN_LIFETIME_S,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.`;
}

function setAuthorization(task: TaskState, headers: Record<string, string>, now: number): void {
  if (!task.oidcToken && !task.oauthToken) return;
  // The token Cloud Tasks generates replaces any Authorization header of the task.
  for (const existing of Object.keys(headers)) {
    if (existing.toLowerCase() === 'authorization') delete headers[existing];
  }
  if (task.oidcToken) {
    const audience = task.oidcToken.audience || task.url;
    // Unsigned, dev-only stand-in for a Google-signed ID token: see buildUnsignedOidcToken.
    headers.Authorization = `Bearer ${buildUnsignedOidcToken(task.oidcToken.serviceAccountEmail, audience, now)}`;
  } else if (task.oauthToken) {
    // A placeholder, not an access token: it only shows the receiver that one would be sent.
    headers.Authorization = `Bearer ${OAUTH_PLACEHOLDER_PREFIX}${task.oauthToken.serviceAccountEmail}`;
  }
}

/** The headers of the attempt about to be made; `retryCount` is the number of earlier attempts. */
export function buildDispatchHeaders(
  task: TaskState,
  retryCount: number,
  now: number,
): Record<string, string> {
  const headers: Record<string, string> = { ...task.headers, 'User-Agent': 'Google-Cloud-Tasks' };
  if (task.body.length > 0 && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  headers['Content-Length'] = String(task.body.length);
  headers['X-CloudTasks-QueueName'] = task.queue.shortId;
  headers['X-CloudTasks-TaskName'] = task.shortId;
  headers['X-CloudTasks-TaskRetryCount'] = String(retryCount);
  headers['X-CloudTasks-TaskExecutionCount'] = String(task.executionCount);
  headers['X-CloudTasks-TaskETA'] = (task.scheduleTimeMs / 1000).toFixed(6);
  if (retryCount > 0) {
    if (task.previousResponseCode !== null) {
      headers['X-CloudTasks-TaskPreviousResponse'] = String(task.previousResponseCode);
    }
    if (task.retryReason) headers['X-CloudTasks-TaskRetryReason'] = task.retryReason;
  }
  setAuthorization(task, headers, now);
  return headers;
}
