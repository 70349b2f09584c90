/**
 * A fake of GitHub's REST API for tests and local runs: serves `GET /repos/{owner}/{repo}/branches/{branch}`
 * from an in-memory map, with ETags and `If-None-Match` (304) like GitHub, records every request,
 * and can be told to answer the next requests with a given status (fault injection).
 * Point `GITHUB_API_URL` at `url` to use it as the GitHub API of a whole stack.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A branch head to serve. Only `sha` is required. */
export interface FakeHead {
  sha: string;
  message?: string;
  authorName?: string;
  authorEmail?: string | null;
  /** The GitHub account of the author (`commit.author.login`); null: no account. */
  authorLogin?: string | null;
  /** Author date; ISO string or Date. */
  date?: string | Date;
}

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  /** The raw request target (path and query, still percent-encoded). */
  url: string;
  /** For branch requests: `owner/name` and the branch, decoded; null otherwise. */
  repo: string | null;
  branch: string | null;
  /** Header names lower-cased, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The status the fake answered. */
  status: number;
}

/** How the next faulty requests are answered. */
export interface FaultOptions {
  /** Extra response headers, e.g. `{'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000000'}`. */
  headers?: Record<string, string>;
  /** The raw response body; `{"message": "..."}` like GitHub by default. */
  body?: string;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

export interface FakeGitHub {
  /** Base URL of the API, e.g. `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Sets (creates or moves) the head of a branch. */
  setHead(repo: string, branch: string, head: FakeHead): void;
  /** Deletes a branch: its endpoint answers 404. */
  deleteBranch(repo: string, branch: string): void;
  /** Answers the next `count` requests, whatever they are, with `status` (and `options`). */
  failNext(count: number, status: number, options?: FaultOptions): void;
  /** Every request received, oldest first. Clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /** Stops the server and drops open connections. */
  stop(): Promise<void>;
}

export interface FakeGitHubOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401 "Bad credentials"). */
  token?: string;
}

/** The ETag the fake sends for a head: weak, derived from the sha, like GitHub's `W/"<hex>"`. */
export function fakeEtag(sha: string): string {
  return `W/"${createHash('sha256').update(sha.toLowerCase()).digest('hex').slice(0, 32)}"`;
}

const BRANCH_PATH = /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/;

const DOCS_URL = 'https://docs.github.com/rest/branches/branches#get-a-branch';

function key(repo: string, branch: string): string {
  // GitHub repository names are case-insensitive; branch names are not.
  return `${repo.toLowerCase()}\n${branch}`;
}

/** True when an `If-None-Match` value (a list, maybe `*`, maybe weak) matches `etag` (weak comparison). */
function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

function branchBody(repo: string, branch: string, head: FakeHead, apiUrl: string): unknown {
  const sha = head.sha.toLowerCase();
  const date = head.date instanceof Date ? head.date.toISOString() : (head.date ?? '2024-01-02T03:04:05Z');
  const person = {
    name: head.authorName ?? 'Test Author',
    email: head.authorEmail === undefined ? 'author@example.com' : head.authorEmail,
    date,
  };
  const login = head.authorLogin === undefined ? 'test-author' : head.authorLogin;
  return {
    name: branch,
    commit: {
      sha,
      node_id: `C_${sha.slice(0, 12)}`,
      commit: {
        author: person,
        committer: person,
        message: head.message ?? `Commit ${sha.slice(0, 7)}`,
        tree: { sha, url: `${apiUrl}/repos/${repo}/git/trees/${sha}` },
        url: `${apiUrl}/repos/${repo}/git/commits/${sha}`,
        comment_count: 0,
      },
      url: `${apiUrl}/repos/${repo}/commits/${sha}`,
      html_url: `https://github.com/${repo}/commit/${sha}`,
      author: login === null ? null : { login, id: 1, type: 'User' },
      committer: login === null ? null : { login, id: 1, type: 'User' },
      parents: [],
    },
    _links: {
      self: `${apiUrl}/repos/${repo}/branches/${encodeURIComponent(branch)}`,
      html: `https://github.com/${repo}/tree/${branch}`,
    },
    protected: false,
  };
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const heads = new Map<string, FakeHead>();
  const requests: RecordedRequest[] = [];
  const faults: { status: number; options: FaultOptions }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let url = '';

  const send = (
    res: ServerResponse,
    status: number,
    body: string | null,
    headers: Record<string, string> = {},
  ) => {
    if (res.destroyed) return;
    res.writeHead(status, {
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      ...(body === null ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    });
    res.end(body ?? undefined);
  };

  const server = createServer((req, res) => {
    const target = req.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    const match = BRANCH_PATH.exec(path);
    let repo: string | null = null;
    let branch: string | null = null;
    if (match) {
      try {
        repo = `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`;
        branch = decodeURIComponent(match[3] ?? '');
      } catch {
        repo = null;
        branch = null;
      }
    }
    const record = (status: number) =>
      requests.push({ method: req.method ?? '', url: target, repo, branch, headers: req.headers, status });

    const fault = faults.shift();
    if (fault) {
      record(fault.status);
      const body = fault.options.body ?? JSON.stringify({ message: `Injected status ${fault.status}` });
      const answer = () => send(res, fault.status, body, fault.options.headers);
      if (fault.options.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, fault.options.delayMs);
        timers.add(timer);
      } else {
        answer();
      }
      return;
    }

    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      record(401);
      send(
        res,
        401,
        JSON.stringify({ message: 'Bad credentials', documentation_url: DOCS_URL, status: '401' }),
      );
      return;
    }
    const head =
      repo !== null && branch !== null && req.method === 'GET' ? heads.get(key(repo, branch)) : undefined;
    if (!head || repo === null || branch === null) {
      record(404);
      send(res, 404, JSON.stringify({ message: 'Not Found', documentation_url: DOCS_URL, status: '404' }));
      return;
    }
    const etag = fakeEtag(head.sha);
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) {
      record(304);
      send(res, 304, null, { etag });
      return;
    }
    record(200);
    send(res, 200, JSON.stringify(branchBody(repo, branch, head, url)), { etag });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  return {
    url,
    setHead: (repo, branch, head) => {
      heads.set(key(repo, branch), { ...head });
    },
    deleteBranch: (repo, branch) => {
      heads.delete(key(repo, branch));
    },
    failNext: (count, status, faultOptions = {}) => {
      for (let i = 0; i < count; i++) faults.push({ status, options: faultOptions });
    },
    requests,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
