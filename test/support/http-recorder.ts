/**
 * A tiny local HTTP server for tests: records every request (method, path, headers, body, arrival time)
 * and answers with scripted responses, in order, then a default. It tracks how many requests it holds at
 * once, so a test can check a client's concurrency limit, and lets a test wait for the n-th request
 * instead of sleeping.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the recorder received it. */
export interface RecordedRequest {
  method: string;
  /** Path plus query, e.g. `/worker?x=1`. */
  url: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** `Date.now()` when the request's headers arrived. */
  receivedAtMs: number;
  /** `Date.now()` when the recorder sent its response; null while held or when the client gave up first. */
  respondedAtMs: number | null;
  /** The status answered (null when the client disconnected before the answer). */
  status: number | null;
}

/** What to answer to one request. */
export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Holds the response this long before sending it (e.g. past a client's deadline). Default 0. */
  delayMs?: number;
  /** Holds the response until this promise settles (then `delayMs`): the test decides when it goes. */
  heldUntil?: Promise<unknown>;
}

export interface HttpRecorderOptions {
  /** Answers for the first requests, in arrival order; a number is a status with an empty body. */
  responses?: Array<number | ScriptedResponse>;
  /** The answer once `responses` is used up. Default 200. */
  defaultResponse?: number | ScriptedResponse;
}

export interface HttpRecorder {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  baseUrl: string;
  port: number;
  /** Every completed request (headers and body read), in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests currently held (arrived, not yet answered). */
  readonly inFlight: number;
  /** The most requests held at the same time so far. */
  readonly maxInFlight: number;
  /** Appends answers to the script. */
  script(...responses: Array<number | ScriptedResponse>): void;
  /** Resolves with the requests once at least `count` arrived; rejects after `timeoutMs` (default 10 s). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Forgets the recorded requests, the script and the concurrency peak. */
  reset(): void;
  /** Stops listening and drops held requests. */
  close(): Promise<void>;
}

function toScripted(response: number | ScriptedResponse): ScriptedResponse {
  return typeof response === 'number' ? { status: response } : response;
}

/** Starts a recorder on a free port of 127.0.0.1. */
export async function startHttpRecorder(options: HttpRecorderOptions = {}): Promise<HttpRecorder> {
  let script = (options.responses ?? []).map(toScripted);
  const defaultResponse = toScripted(options.defaultResponse ?? 200);
  const requests: RecordedRequest[] = [];
  const holdTimers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server = http.createServer((req, res) => {
    const receivedAtMs = Date.now();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Responses are picked in arrival order, even when bodies finish arriving in another order.
    const response = script.shift() ?? defaultResponse;
    let isHeld = true;
    const release = () => {
      if (!isHeld) return;
      isHeld = false;
      inFlight -= 1;
    };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAtMs,
        respondedAtMs: null,
        status: null,
      };
      requests.push(recorded);
      notify();
      let timer: NodeJS.Timeout | undefined;
      const answer = () => {
        if (timer) holdTimers.delete(timer);
        if (!isHeld) return;
        // Counted as answered before the bytes leave, so a client never sees more than it is allowed.
        release();
        recorded.respondedAtMs = Date.now();
        recorded.status = response.status;
        res.writeHead(response.status, response.headers ?? {});
        res.end(response.body ?? '');
      };
      const wait = () => {
        timer = setTimeout(answer, response.delayMs ?? 0);
        holdTimers.add(timer);
      };
      if (response.heldUntil) response.heldUntil.then(wait, wait);
      else wait();
    });
    // The client gave up (e.g. its deadline passed): the request no longer counts as held.
    res.on('close', release);
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    script(...responses) {
      script.push(...responses.map(toScripted));
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `HTTP recorder: ${requests.length} of ${count} requests arrived within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        const waiter = () => {
          if (requests.length < count) return;
          clearTimeout(timeout);
          waiters.delete(waiter);
          resolve(requests.slice());
        };
        waiters.add(waiter);
      });
    },
    reset() {
      requests.length = 0;
      script = [];
      maxInFlight = inFlight;
    },
    async close() {
      for (const timer of holdTimers) clearTimeout(timer);
      waiters.clear();
      holdTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
