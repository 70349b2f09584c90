/**
 * GitHub's "Get a branch" for the tick's poll, as small as the poll needs: every branch's head is the
 * sha the benchmark seeded, with an ETag, and `If-None-Match` answers 304 as GitHub does. So the tick
 * polls every branch, as in production, without the network.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubFake {
  url: string;
  /** When each request arrived (epoch ms, as the timeline's). */
  requestTimes: number[];
  stop(): Promise<void>;
}

/** Serves `GET /repos/{owner}/{repo}/branches/{branch}` with `headOf(branch)` (null: 404). */
export async function startGithubFake(headOf: (branch: string) => string | null): Promise<GithubFake> {
  const fake: GithubFake = { url: '', requestTimes: [], stop: async () => {} };
  const server: Server = createServer((req, res) => {
    fake.requestTimes.push(performance.timeOrigin + performance.now());
    const match = /^\/repos\/[^/]+\/[^/]+\/branches\/(.+)$/.exec(req.url ?? '');
    const branch = match ? decodeURIComponent(match[1] as string) : null;
    const sha = branch === null ? null : headOf(branch);
    if (sha === null) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"Branch not found"}');
      return;
    }
    const etag = `W/"${sha}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    const commit = {
      sha,
      html_url: `https://github.com/kubeflow/manifests/commit/${sha}`,
      author: { login: 'bench' },
      commit: {
        message: 'seeded head',
        author: { name: 'Bench', email: 'bench@example.com', date: new Date(0).toISOString() },
      },
    };
    res
      .writeHead(200, { 'Content-Type': 'application/json', ETag: etag })
      .end(JSON.stringify({ name: branch, commit }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
