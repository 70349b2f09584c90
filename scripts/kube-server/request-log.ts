/** The API requests the server has answered (control endpoints excluded), for tests to inspect. */

/** One API request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** True when an injected fault answered it. */
  isFault: boolean;
}

/** Keeps the last 1000 requests, so a long `npm start` session does not grow without bound. */
const MAX_RECORDED_REQUESTS = 1000;

/** The last requests, oldest first. */
export class RequestLog {
  private entries: RecordedRequest[] = [];

  record(method: string, url: URL, status: number, isFault: boolean): void {
    this.entries.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status,
      isFault,
    });
    if (this.entries.length > MAX_RECORDED_REQUESTS)
      this.entries = this.entries.slice(-MAX_RECORDED_REQUESTS);
  }

  /** A copy of the log. */
  list(): RecordedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}
