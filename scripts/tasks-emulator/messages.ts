/** The emulator's records as CloudTasks response messages (Queue, Task). */
import { burstSize } from './queue-settings.js';
import type { AttemptState, QueueState, TaskState } from './state.js';
import { msToDuration, msToTimestamp, type View } from './wire.js';

/** A Queue message. */
export function queueToMessage(queue: QueueState): Record<string, unknown> {
  return {
    name: queue.name,
    appEngineRoutingOverride: queue.appEngineRoutingOverride,
    rateLimits: {
      maxDispatchesPerSecond: queue.rate.maxDispatchesPerSecond,
      maxBurstSize: burstSize(queue.rate),
      maxConcurrentDispatches: queue.rate.maxConcurrentDispatches,
    },
    retryConfig: {
      maxAttempts: queue.retry.maxAttempts,
      maxRetryDuration: msToDuration(queue.retry.maxRetryDurationMs),
      minBackoff: msToDuration(queue.retry.minBackoffMs),
      maxBackoff: msToDuration(queue.retry.maxBackoffMs),
      maxDoublings: queue.retry.maxDoublings,
    },
    state: queue.state,
    stackdriverLoggingConfig: queue.stackdriverLoggingConfig,
  };
}

function attemptToMessage(attempt: AttemptState): Record<string, unknown> {
  return {
    scheduleTime: msToTimestamp(attempt.scheduleMs),
    dispatchTime: msToTimestamp(attempt.dispatchMs),
    responseTime: attempt.responseMs === null ? null : msToTimestamp(attempt.responseMs),
    responseStatus: attempt.status,
  };
}

/** A Task message; the body only in the FULL view. */
export function taskToMessage(task: TaskState, view: View): Record<string, unknown> {
  const httpRequest: Record<string, unknown> = {
    url: task.url,
    httpMethod: task.method,
    headers: task.headers,
  };
  if (view === 'FULL') httpRequest.body = task.body;
  if (task.oidcToken) httpRequest.oidcToken = task.oidcToken;
  else if (task.oauthToken) httpRequest.oauthToken = task.oauthToken;
  return {
    name: task.name,
    httpRequest,
    scheduleTime: msToTimestamp(task.scheduleTimeMs),
    createTime: msToTimestamp(task.createTimeMs),
    dispatchDeadline: msToDuration(task.dispatchDeadlineMs),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    // Cloud Tasks keeps only the dispatch time of the first attempt.
    firstAttempt:
      task.firstDispatchMs === null ? null : { dispatchTime: msToTimestamp(task.firstDispatchMs) },
    lastAttempt: task.lastAttempt ? attemptToMessage(task.lastAttempt) : null,
    view,
  };
}
