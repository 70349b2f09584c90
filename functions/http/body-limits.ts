/**
 * The largest request body each function reads, in bytes. A body over its function's limit is never
 * kept in memory: it is drained and answered 413 (functions/http/read-body.ts).
 *
 * - githubWebhook: GitHub caps webhook payloads at 25 MB ("Payloads are capped at 25 MB"); a push of
 *   thousands of commits stays far below it.
 * - deployWorker: Cloud Tasks carries at most 1 MB per task; ours are `{"requestId": "..."}`.
 * - schedulerTick: Cloud Scheduler's body is ignored; 64 KiB leaves room for any job's body.
 * - deploymentStatus: a lease body is a few hundred bytes (functions/status/json-body.ts).
 */

/** GitHub caps webhook payloads at 25 MB. */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

/** Cloud Tasks' largest task. */
export const MAX_WORKER_BODY_BYTES = 1024 * 1024;

/** The tick reads no body. */
export const MAX_TICK_BODY_BYTES = 64 * 1024;

/** The lease API's bodies. */
export const MAX_STATUS_BODY_BYTES = 16 * 1024;

/** Each function's limit, by its Cloud Functions name. */
export const BODY_LIMIT_BYTES = {
  githubWebhook: MAX_WEBHOOK_BODY_BYTES,
  schedulerTick: MAX_TICK_BODY_BYTES,
  deployWorker: MAX_WORKER_BODY_BYTES,
  deploymentStatus: MAX_STATUS_BODY_BYTES,
} as const satisfies Record<string, number>;

/** The limit of a function not in the table (a test's own handler): the largest one. */
export const DEFAULT_BODY_LIMIT_BYTES = MAX_WEBHOOK_BODY_BYTES;

/** The limit of the function `name`. */
export function bodyLimitOf(name: string): number {
  return (BODY_LIMIT_BYTES as Record<string, number>)[name] ?? DEFAULT_BODY_LIMIT_BYTES;
}
