/**
 * The lease API of deploymentStatus over HTTP, for test suites and the `npm run lease` CLI. Needs only
 * Node's own `fetch` (no import from the rest of this repository), so a test suite elsewhere can copy
 * scripts/lease/ as it is.
 */

/** A lease as the API answers it (functions/core/lease-json.ts). */
export interface LeaseJson {
  leaseId: string;
  version: string;
  instance: string;
  commit: string;
  endpoint: string;
  credentialsCommand: string;
  owner: string;
  expiresAt: string;
  status: 'active' | 'released' | 'expired' | 'revoked';
  ttlSeconds: number;
  requestId: string | null;
  createdAt: string;
  heartbeatAt: string | null;
  closedAt: string | null;
  createdBy: string | null;
}

/**
 * A call that did not succeed. `status` is the HTTP status, or null when no answer came (`reason`
 * `unreachable`); `reason` is the API's (`no-ready-instance`, `expired`, `released`, `unknown-lease`, ...).
 */
export class LeaseApiError extends Error {
  override name = 'LeaseApiError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly reason: string | null,
    /** The answer's JSON, when there was one. */
    readonly body: unknown = null,
  ) {
    super(message);
  }

  /** True when a retry may help: no answer, or a 5xx. */
  get isTransient(): boolean {
    return this.status === null || this.status >= 500;
  }
}

export interface LeaseApiOptions {
  /** The deploymentStatus function's URL, e.g. `http://127.0.0.1:8080/deploymentStatus`. */
  url: string;
  /** Replaces the global `fetch` (tests). */
  fetch?: typeof fetch;
  /** An identity token sent as `Authorization: Bearer` (production requires one for changes). */
  idToken?: string | (() => string | Promise<string>);
  /** How long one call may take before it counts as unreachable (10 s). */
  timeoutMs?: number;
}

/** What `POST /api/leases` takes. */
export interface AcquireBody {
  version: string;
  owner: string;
  ttlSeconds?: number;
  requestId?: string;
  instance?: string;
}

async function tokenOf(options: LeaseApiOptions): Promise<string | null> {
  const { idToken } = options;
  if (idToken === undefined) return null;
  return typeof idToken === 'string' ? idToken : await idToken();
}

async function answerOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headersFor(token: string | null, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (hasBody) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** A call that got no answer: fetch says "fetch failed", the reason (ECONNREFUSED, a timeout) is its cause. */
function unreachable(what: string, err: unknown): LeaseApiError {
  const reason = err instanceof Error ? ((err.cause as Error | undefined) ?? err) : err;
  const cause = reason instanceof Error ? reason.message : String(reason);
  return new LeaseApiError(`${what}: no answer (${cause})`, null, 'unreachable');
}

/** A non-2xx answer, with the API's `error` and `reason` when it gave them. */
function refused(what: string, status: number, answer: unknown): LeaseApiError {
  const { error, reason } = (answer ?? {}) as { error?: unknown; reason?: unknown };
  const message = typeof error === 'string' ? error : `HTTP ${status}`;
  return new LeaseApiError(
    `${what}: ${status} ${message}`,
    status,
    typeof reason === 'string' ? reason : null,
    answer,
  );
}

/** One call of the deploymentStatus function's JSON API (the lease client's and `npm run ctl`'s). */
export interface JsonCall {
  method: string;
  url: string;
  body?: unknown;
  /** Sent as `Authorization: Bearer` when not null. */
  token: string | null;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Makes `call`; resolves to the answer's JSON (or text), or throws a LeaseApiError that says why. */
export async function callJsonApi(call: JsonCall): Promise<unknown> {
  const what = `${call.method} ${call.url}`;
  let response: Response;
  try {
    response = await (call.fetch ?? fetch)(call.url, {
      method: call.method,
      headers: headersFor(call.token, call.body !== undefined),
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (err) {
    throw unreachable(what, err);
  }
  const answer = await answerOf(response);
  if (!response.ok) throw refused(what, response.status, answer);
  return answer;
}

/** The lease API's calls; each resolves to the answer's JSON or throws a LeaseApiError. */
export function leaseApi(options: LeaseApiOptions) {
  const base = options.url.replace(/\/+$/, '');
  let lastToken: string | null = null;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const token = await tokenOf(options);
    lastToken = token;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return callJsonApi({ method, url: `${base}${path}`, body, token, timeoutMs, fetch: options.fetch });
  };
  const byId = (leaseId: string) => `/api/leases/${encodeURIComponent(leaseId)}`;
  return {
    acquire: (body: AcquireBody) => call('POST', '/api/leases', body) as Promise<LeaseJson>,
    heartbeat: (leaseId: string, ttlSeconds?: number) =>
      call(
        'POST',
        `${byId(leaseId)}/heartbeat`,
        ttlSeconds === undefined ? {} : { ttlSeconds },
      ) as Promise<LeaseJson>,
    release: (leaseId: string) => call('DELETE', byId(leaseId)) as Promise<LeaseJson>,
    show: (leaseId: string) => call('GET', byId(leaseId)) as Promise<LeaseJson>,
    list: (filter: { version?: string; instance?: string } = {}) => {
      const query = new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== undefined));
      const search = query.size > 0 ? `?${query}` : '';
      return call('GET', `/api/leases${search}`) as Promise<LeaseJson[]>;
    },
    /** The base URL, without a trailing slash. */
    url: base,
    /** The token of the last call, for a release at process exit, which cannot wait for a token function. */
    lastToken: () => lastToken,
  };
}

export type LeaseApi = ReturnType<typeof leaseApi>;
