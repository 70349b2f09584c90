/**
 * The HTTP call of one attempt: sends the task's request, gives up at its dispatch deadline, and
 * describes the outcome as Cloud Tasks reports it (`last_attempt.response_status`, the retry reason).
 */
import http from 'node:http';
import https from 'node:https';
import { grpc } from 'google-gax';
import type { TaskState } from './state.js';

/** How one attempt ended. */
export type AttemptOutcome =
  | { kind: 'response'; status: number }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

/** Maps an HTTP status to the google.rpc.Code Cloud Tasks reports in `last_attempt.response_status`. */
function httpStatusToRpcCode(status: number): number {
  if (status >= 200 && status < 300) return grpc.status.OK;
  const known: Record<number, grpc.status> = {
    400: grpc.status.INVALID_ARGUMENT,
    401: grpc.status.UNAUTHENTICATED,
    403: grpc.status.PERMISSION_DENIED,
    404: grpc.status.NOT_FOUND,
    409: grpc.status.ABORTED,
    429: grpc.status.RESOURCE_EXHAUSTED,
    499: grpc.status.CANCELLED,
    500: grpc.status.INTERNAL,
    501: grpc.status.UNIMPLEMENTED,
    503: grpc.status.UNAVAILABLE,
    504: grpc.status.DEADLINE_EXCEEDED,
  };
  return known[status] ?? grpc.status.UNKNOWN;
}

/** The attempt's status as Cloud Tasks reports it; its message doubles as the retry reason. */
export function describeOutcome(outcome: AttemptOutcome): { code: number; message: string } {
  if (outcome.kind === 'response') {
    return { code: httpStatusToRpcCode(outcome.status), message: `HTTP status ${outcome.status}` };
  }
  if (outcome.kind === 'timeout') {
    return { code: grpc.status.DEADLINE_EXCEEDED, message: 'dispatch deadline exceeded' };
  }
  return { code: grpc.status.UNAVAILABLE, message: `connection error: ${outcome.message}` };
}

/** Sends attempts and keeps the ones in progress, so stopping the emulator can abort them. */
export class HttpAttempts {
  private readonly active = new Set<http.ClientRequest>();

  /** Sends one attempt; never rejects: every failure is an outcome. */
  send(task: TaskState, headers: Record<string, string>): Promise<AttemptOutcome> {
    try {
      return this.startRequest(task, headers);
    } catch (error) {
      // node:http throws synchronously on some bad input; without this the task would stay in flight.
      return Promise.resolve({
        kind: 'error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Aborts every attempt in progress. */
  abortAll(): void {
    for (const request of this.active) request.destroy();
    this.active.clear();
  }

  /** Sends one attempt; throws synchronously when node:http rejects the request outright. */
  private startRequest(task: TaskState, headers: Record<string, string>): Promise<AttemptOutcome> {
    const transport = task.url.startsWith('https:') ? https : http;
    let settle: (outcome: AttemptOutcome) => void = () => {};
    const request = transport.request(
      task.url,
      { method: task.method, headers, agent: false },
      (response) => {
        response.resume();
        response.on('end', () => settle({ kind: 'response', status: response.statusCode ?? 0 }));
        response.on('error', (error) => settle({ kind: 'error', message: error.message }));
      },
    );
    const outcome = new Promise<AttemptOutcome>((resolve) => {
      let isSettled = false;
      const deadline = setTimeout(() => {
        settle({ kind: 'timeout' });
        request.destroy();
      }, task.dispatchDeadlineMs);
      settle = (value) => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(deadline);
        this.active.delete(request);
        resolve(value);
      };
    });
    this.active.add(request);
    request.on('error', (error) => settle({ kind: 'error', message: error.message }));
    request.on('close', () =>
      settle({ kind: 'error', message: 'connection closed before the response ended' }),
    );
    request.end(task.body);
    return outcome;
  }
}
