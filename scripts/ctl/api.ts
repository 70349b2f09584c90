/**
 * The deploymentStatus function's operator and status API over HTTP, for `npm run ctl`. Node's own
 * `fetch` only (no import from functions/), like scripts/lease/.
 */
import { LeaseApiError } from '../lease/api.js';

/**
 * A call that did not succeed: `status` null when no answer came; `reason` the API's, when it gave
 * one. The lease client's error, so both CLIs read a failure (and pick its exit code) alike.
 */
export class CtlApiError extends LeaseApiError {
  override name = 'CtlApiError';
}

export interface CtlApiOptions {
  /** The deploymentStatus function's URL, e.g. `http://127.0.0.1:8080/deploymentStatus`. */
  url: string;
  /** The identity token for a call (null: none is sent); `isRequired` for a change (not for a read). */
  token: (isRequired: boolean) => Promise<string | null>;
  /** Replaces the global `fetch` (tests). */
  fetch?: typeof fetch;
  /** How long one call may take before it counts as unreachable (30 s: a change plans at once). */
  timeoutMs?: number;
}

async function answerOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function refused(what: string, status: number, answer: unknown): CtlApiError {
  const { error, reason } = (answer ?? {}) as { error?: unknown; reason?: unknown };
  const message = typeof error === 'string' ? error : `HTTP ${status}`;
  return new CtlApiError(
    `${what}: ${status} ${message}`,
    status,
    typeof reason === 'string' ? reason : null,
    answer,
  );
}

/** One HTTP call: JSON body, bearer token when there is one, within the timeout. */
function send(
  options: CtlApiOptions,
  url: string,
  request: { method: string; body: unknown; token: string | null },
): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  return (options.fetch ?? fetch)(url, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
}

/** The calls `npm run ctl` makes; each resolves to the answer's JSON or throws a CtlApiError. */
export function ctlApi(options: CtlApiOptions) {
  const base = options.url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const what = `${method} ${base}${path}`;
    const token = await options.token(method !== 'GET');
    const response = await send(options, `${base}${path}`, { method, body, token }).catch((err: unknown) => {
      const cause = err instanceof Error ? ((err.cause as Error | undefined) ?? err).message : String(err);
      throw new CtlApiError(`${what}: no answer (${cause})`, null, 'unreachable');
    });
    const answer = await answerOf(response);
    if (!response.ok) throw refused(what, response.status, answer);
    return answer;
  };
  const version = (name: string, action: string) => `/api/versions/${encodeURIComponent(name)}/${action}`;
  return {
    versions: () => call('GET', '/api/versions') as Promise<Array<Record<string, unknown>>>,
    deployments: () => call('GET', '/api/deployments') as Promise<Array<Record<string, unknown>>>,
    plan: () => call('GET', '/api/plan') as Promise<Record<string, unknown>>,
    versionAction: (name: string, action: 'pause' | 'resume' | 'redeploy', body: Record<string, unknown>) =>
      call('POST', version(name, action), body) as Promise<Record<string, unknown>>,
    teardown: (instance: string, body: Record<string, unknown>) =>
      call('POST', `/api/deployments/${encodeURIComponent(instance)}/teardown`, body) as Promise<
        Record<string, unknown>
      >,
    drain: (action: 'drain' | 'undrain', body: Record<string, unknown>) =>
      call('POST', `/api/${action}`, body) as Promise<Record<string, unknown>>,
    url: base,
  };
}

export type CtlApi = ReturnType<typeof ctlApi>;
