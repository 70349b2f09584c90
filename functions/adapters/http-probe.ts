/**
 * The readiness probe over HTTP(S): one GET, redirects not followed (IAP's 302 to its login page means
 * the instance is up), the whole answer within the timeout. Any failure to get an answer is a result
 * with no status and the error in words, never an exception.
 */
import type { EndpointProbe } from '../core/ports.js';

export class HttpProbe implements EndpointProbe {
  constructor(private readonly fetchImpl: typeof fetch = globalThis.fetch) {}

  async probe(url: string, timeoutMs: number): Promise<{ status: number | null; error: string | null }> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.fetchImpl(url, {
        method: 'GET',
        redirect: 'manual',
        signal,
        headers: { 'User-Agent': 'kubeflow-auto-deploy readiness probe' },
      });
      // The body is not needed; drop it so the connection is released.
      await response.body?.cancel().catch(() => {});
      return { status: response.status, error: null };
    } catch (err) {
      if (signal.aborted) return { status: null, error: `no answer within ${timeoutMs} ms` };
      const cause =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      return { status: null, error: cause };
    }
  }
}
