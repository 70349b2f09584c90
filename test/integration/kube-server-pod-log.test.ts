/**
 * Followed logs on the local Kubernetes API server (`.../pods/NAME/log?follow=true`, what
 * `kubectl logs -f` asks) over HTTPS: a running pod's log stays open and ends with its Job; a finished
 * pod's comes whole. `kubectl logs -f` itself is in kube-server-kubectl.test.ts.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type KubeServer, startKubeServer } from '../../scripts/kube-server/server.js';
import { requestKubeServer } from '../support/kube.js';

const NS = 'auto-deploy';

/** A streamed answer as it arrives: the text so far, and a promise of each wanted moment. */
interface Stream {
  headers: IncomingHttpHeaders;
  text(): string;
  /** Resolves once the text so far matches `pattern`. */
  seen(pattern: RegExp): Promise<void>;
  /** Resolves with the whole text when the server ends the answer. */
  ended: Promise<string>;
  abort(): void;
}

function openStream(server: KubeServer, path: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server.url),
      { headers: { Authorization: `Bearer ${server.token}` }, ca: server.caPem },
      (res) => {
        let text = '';
        const waiters: Array<{ pattern: RegExp; done: () => void }> = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          for (const waiter of waiters.filter((w) => w.pattern.test(text))) waiter.done();
        });
        const ended = new Promise<string>((done, failed) => {
          res.on('end', () => done(text));
          res.on('error', failed);
        });
        resolve({
          headers: res.headers,
          text: () => text,
          seen: (pattern) =>
            new Promise<void>((done, failed) => {
              if (pattern.test(text)) return done();
              waiters.push({ pattern, done });
              ended.then(() => failed(new Error(`the answer ended before ${pattern}: ${text}`)), failed);
            }),
          ended,
          abort: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('local kube server: followed pod logs', () => {
  let server: KubeServer;

  before(async () => {
    server = await startKubeServer({});
  });
  after(() => server.stop());
  beforeEach(() => server.reset());

  const create = async (name: string) => {
    const response = await requestKubeServer(server, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      token: server.token,
      body: JSON.stringify({
        metadata: { name },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'deploy', image: 'worker:1', command: ['kfctl'], args: ['apply'] }],
            },
          },
        },
      }),
    });
    assert.equal(response.status, 201, response.text);
  };

  const podName = async (job: string) => {
    const response = await requestKubeServer(
      server,
      'GET',
      `/api/v1/namespaces/${NS}/pods?labelSelector=job-name%3D${job}`,
      { token: server.token },
    );
    const list = JSON.parse(response.text) as { items: Array<{ metadata: { name: string } }> };
    const name = list.items[0]?.metadata.name;
    assert.ok(name, response.text);
    return name;
  };

  const follow = async (job: string) =>
    openStream(server, `/api/v1/namespaces/${NS}/pods/${await podName(job)}/log?follow=true`);

  it('a running pod: what it would run at once, then how it ended when its Job finishes, then the end', async () => {
    await create('followed');
    const stream = await follow('followed');
    assert.equal(stream.headers['transfer-encoding'], 'chunked');
    assert.match(stream.headers['content-type'] ?? '', /^text\/plain/);
    await stream.seen(/\nstarted \S+\n$/);
    assert.match(stream.text(), /image worker:1, would run:\n {2}kfctl\n {2}apply\n/);
    assert.doesNotMatch(stream.text(), /running: its Job has not finished/);

    server.completeJob(NS, 'followed');
    const whole = await stream.ended;
    assert.match(whole, /\nstarted \S+\nthe pod succeeded at \S+, as its Job did\n$/);
    assert.equal(whole.split('the pod succeeded').length, 2, whole);
  });

  it('a failed Job ends the log with its failure; a deleted one says so', async () => {
    await create('failing');
    await create('deleted');
    const failing = await follow('failing');
    const deleted = await follow('deleted');
    await Promise.all([failing.seen(/\nstarted /), deleted.seen(/\nstarted /)]);

    server.failJob(NS, 'failing', 'kfctl apply failed');
    assert.match(await failing.ended, /\nthe pod failed at \S+, as its Job did\n$/);
    assert.equal(deleted.text().includes('the pod'), false, 'another Job changing ends nothing');

    const response = await requestKubeServer(
      server,
      'DELETE',
      `/apis/batch/v1/namespaces/${NS}/jobs/deleted`,
      {
        token: server.token,
      },
    );
    assert.equal(response.status, 200, response.text);
    assert.match(await deleted.ended, /\nthe pod was deleted with its Job\n$/);
    await until(() => server.streams() === 0);
  });

  it('a finished pod, or follow=false: the whole log at once', async () => {
    await create('done');
    const pod = await podName('done');
    server.completeJob(NS, 'done');
    for (const query of ['follow=true', 'follow=false']) {
      const response = await requestKubeServer(
        server,
        'GET',
        `/api/v1/namespaces/${NS}/pods/${pod}/log?${query}`,
        {
          token: server.token,
        },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['content-length'], String(Buffer.byteLength(response.text)));
      assert.match(response.text, /\nthe pod succeeded at \S+, as its Job did\n$/);
    }
  });

  it('a client that leaves stops following: nothing listens for its Job any more', async () => {
    await create('left');
    const stream = await follow('left');
    await stream.seen(/\nstarted /);
    assert.equal(server.streams(), 1);
    stream.abort();
    await until(() => server.streams() === 0);
    server.completeJob(NS, 'left');
    assert.equal(server.streams(), 0);
  });
});

/** Resolves once `check` holds, looking at every turn of the event loop (the server's close event). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
