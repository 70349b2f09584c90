/**
 * A fake of GitHub's REST API for tests and local runs: serves `GET /repos/{owner}/{repo}/branches/{branch}`
 * from an in-memory map, with ETags and `If-None-Match` (304) like GitHub, the deployments endpoints
 * (fake-github-deployments.ts), records every request in order with its body, and can be told to
 * answer the next requests with a given status (fault injection).
 * Point `GITHUB_API_URL` at `url` to use it as the GitHub API of a whole stack.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeDeploymentsApi } from './fake-github-deployments.js';

export type { FakeDeployment, FakeDeploymentStatus } from './fake-github-deployments.js';

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
  /** The request body parsed as JSON; null when there was none (or it was not JSON). */
  body: unknown;
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
  /**
   * Holds the next request unanswered until `release()` (then answers it as usual); `received` resolves
   * when it arrived. Lets a test act while a client is known to be waiting on GitHub.
   */
  holdNext(): { received: Promise<void>; release: () => void };
  /** Every request received, oldest first. Clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /** The deployments endpoints: `deployments` holds what was created, `canWrite` refuses writes (403). */
  readonly deploymentsApi: FakeDeploymentsApi;
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

/** A branch request's repository (`owner/name`) and branch, decoded. */
interface BranchRef {
  repo: string;
  branch: string;
}

/** The branch a request target names; null for any other path, or one that does not decode. */
function branchRefOf(target: string): BranchRef | null {
  const match = BRANCH_PATH.exec(target.split('?')[0] ?? '/');
  if (!match) return null;
  try {
    return {
      repo: `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`,
      branch: decodeURIComponent(match[3] ?? ''),
    };
  } catch {
    return null;
  }
}

/** What the fake answers a request; `body` null sends no body and no content type. */
interface Answer {
  status: number;
  body: string | null;
  headers?: Record<string, string>;
  /** Answer after this long (a fault's `delayMs`). */
  delayMs?: number;
}

function faultAnswer(fault: { status: number; options: FaultOptions }): Answer {
  return {
    status: fault.status,
    body: fault.options.body ?? JSON.stringify({ message: `Injected status ${fault.status}` }),
    ...(fault.options.headers ? { headers: fault.options.headers } : {}),
    ...(fault.options.delayMs ? { delayMs: fault.options.delayMs } : {}),
  };
}

/** An error in GitHub's shape. */
function errorAnswer(status: number, message: string): Answer {
  return { status, body: JSON.stringify({ message, documentation_url: DOCS_URL, status: String(status) }) };
}

/** The branch, or 304 when the client's `If-None-Match` still matches its head. */
function branchAnswer(
  ref: BranchRef,
  head: FakeHead,
  ifNoneMatch: string | undefined,
  apiUrl: string,
): Answer {
  const etag = fakeEtag(head.sha);
  if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) return { status: 304, body: null, headers: { etag } };
  return {
    status: 200,
    body: JSON.stringify(branchBody(ref.repo, ref.branch, head, apiUrl)),
    headers: { etag },
  };
}

/** A request body as JSON; null when empty or not JSON. */
function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function send(res: ServerResponse, { status, body, headers = {} }: Answer): void {
  if (res.destroyed) return;
  res.writeHead(status, {
    'x-github-api-version-selected': '2022-11-28',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    ...(body === null ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(body ?? undefined);
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const heads = new Map<string, FakeHead>();
  const requests: RecordedRequest[] = [];
  const faults: { status: number; options: FaultOptions }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let url = '';
  const deploymentsApi = new FakeDeploymentsApi(() => url);

  /** A queued fault first, then authentication, then the deployments endpoints, then the branch. */
  const answerFor = (req: IncomingMessage, ref: BranchRef | null, body: unknown): Answer => {
    const fault = faults.shift();
    if (fault) return faultAnswer(fault);
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return errorAnswer(401, 'Bad credentials');
    }
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const deployments = deploymentsApi.handle(req.method ?? '', path, new URLSearchParams(query), body);
    if (deployments) return { status: deployments.status, body: JSON.stringify(deployments.body) };
    const head = ref !== null && req.method === 'GET' ? heads.get(key(ref.repo, ref.branch)) : undefined;
    if (!head || ref === null) return errorAnswer(404, 'Not Found');
    return branchAnswer(ref, head, req.headers['if-none-match'], url);
  };

  const reply = (res: ServerResponse, answer: Answer) => {
    if (!answer.delayMs) {
      send(res, answer);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(res, answer);
    }, answer.delayMs);
    timers.add(timer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const target = req.url ?? '/';
    const ref = branchRefOf(target);
    const answer = answerFor(req, ref, body);
    requests.push({
      method: req.method ?? '',
      url: target,
      repo: ref?.repo ?? null,
      branch: ref?.branch ?? null,
      headers: req.headers,
      body,
      status: answer.status,
    });
    reply(res, answer);
  };

  /** Holds waiting for their next request: each is given the request's continuation. */
  const holds: Array<(answer: () => void) => void> = [];
  /** Continuations of held requests, run at stop so no client waits forever. */
  const held = new Set<() => void>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = () => handle(req, res, parseBody(Buffer.concat(chunks).toString('utf8')));
      const hold = holds.shift();
      if (hold) hold(answer);
      else answer();
    });
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
    holdNext: () => {
      let isReleased = false;
      let waiting: (() => void) | null = null;
      let arrived: () => void = () => {};
      const received = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const answerOnce = () => {
        const answer = waiting;
        waiting = null;
        held.delete(answerOnce);
        answer?.();
      };
      holds.push((answer) => {
        waiting = answer;
        held.add(answerOnce);
        arrived();
        if (isReleased) answerOnce();
      });
      return {
        received,
        release: () => {
          isReleased = true;
          answerOnce();
        },
      };
    },
    requests,
    deploymentsApi,
    stop: async () => {
      for (const answer of [...held]) answer();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
