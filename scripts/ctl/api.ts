/**
 * The deploymentStatus function's operator and status API over HTTP, for `npm run ctl`. Node's own
 * `fetch` only (no import from functions/), like scripts/lease/.
 */
import { callJsonApi } from '../lease/api.js';

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

/** The calls `npm run ctl` makes; each resolves to the answer's JSON or throws a LeaseApiError (scripts/lease/api.ts). */
export function ctlApi(options: CtlApiOptions) {
  const base = options.url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const token = await options.token(method !== 'GET');
    const timeoutMs = options.timeoutMs ?? 30_000;
    return callJsonApi({ method, url: `${base}${path}`, body, token, timeoutMs, fetch: options.fetch });
  };
  const version = (name: string, action: string) => `/api/versions/${encodeURIComponent(name)}/${action}`;
  return {
    versions: () => call('GET', '/api/versions') as Promise<Array<Record<string, unknown>>>,
    deployments: () => call('GET', '/api/deployments') as Promise<Array<Record<string, unknown>>>,
    plan: () => call('GET', '/api/plan') as Promise<Record<string, unknown>>,
    health: () => call('GET', '/api/health') as Promise<Record<string, unknown>>,
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
