/**
 * Watches on the local Kubernetes API server (scripts/kube-server/watch.ts) over HTTPS: the changes of
 * Jobs, of their pods and the Jobs' (made-up) events, from a resourceVersion or from now, with
 * selectors, as Tables when asked, 410 Gone for a resourceVersion whose changes were dropped, and the
 * end of a watch at its timeout. `kubectl get jobs -w` itself is in kube-server-kubectl.test.ts.
 */
import assert from 'node:assert/strict';
import { type KubeServer, startKubeServer } from '../../scripts/kube-server/server.js';
import { requestKubeServer } from '../support/kube.js';

const NS = 'auto-deploy';

interface WatchEvent {
  type: string;
  object: {
    kind: string;
    metadata: { name: string; resourceVersion: string };
    rows?: Array<{ cells: unknown[] }>;
  };
}

describe('local kube server: watches', () => {
  let server: KubeServer;

  before(async () => {
    server = await startKubeServer({});
  });
  after(() => server.stop());
  beforeEach(() => server.reset());

  const create = async (name: string, labels: Record<string, string> = {}) => {
    const response = await requestKubeServer(server, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      token: server.token,
      body: JSON.stringify({
        metadata: { name, labels },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } },
      }),
    });
    assert.equal(response.status, 201, response.text);
    return JSON.parse(response.text) as { metadata: { resourceVersion: string } };
  };

  /** The events of a watch that ends after `timeoutSeconds` (the whole stream, parsed). */
  const watch = async (path: string, headers: Record<string, string> = {}) => {
    const response = await requestKubeServer(server, 'GET', path, { token: server.token, headers });
    assert.equal(response.status, 200, response.text);
    const events = response.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as WatchEvent);
    return { response, events };
  };

  const brief = (events: WatchEvent[]) => events.map((event) => [event.type, event.object.metadata?.name]);

  it('from a resourceVersion: every change after it, in order (created, finished, deleted)', async () => {
    const before = await create('before');
    await create('watched');
    server.completeJob(NS, 'watched');
    await requestKubeServer(server, 'DELETE', `/apis/batch/v1/namespaces/${NS}/jobs/before`, {
      token: server.token,
    });
    const rv = before.metadata.resourceVersion;
    const { response, events } = await watch(
      `/apis/batch/v1/namespaces/${NS}/jobs?watch=true&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(brief(events), [
      ['ADDED', 'watched'],
      ['MODIFIED', 'watched'],
      ['DELETED', 'before'],
    ]);
    const versions = events.map((event) => Number(event.object.metadata.resourceVersion));
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.ok(versions.every((version) => version > Number(rv)));
  });

  it('without a resourceVersion: the Jobs there are, as ADDED; a selector and the namespace filter', async () => {
    await create('a', { app: 'x' });
    await create('b', { app: 'y' });
    const { events } = await watch(
      `/apis/batch/v1/namespaces/${NS}/jobs?watch=1&timeoutSeconds=1&labelSelector=app%3Dx`,
    );
    assert.deepEqual(brief(events), [['ADDED', 'a']]);
    const other = await watch('/apis/batch/v1/namespaces/elsewhere/jobs?watch=true&timeoutSeconds=1');
    assert.deepEqual(other.events, []);
  });

  it('sees a change made while it is open, and ends when its time is up', async () => {
    const opened = watch(
      `/apis/batch/v1/jobs?watch=true&resourceVersion=${(await create('live')).metadata.resourceVersion}&timeoutSeconds=2`,
    );
    // The watch is served (and subscribed) once the server has recorded the request.
    while (!server.requests().some((request) => request.query.watch === 'true')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    server.failJob(NS, 'live', 'boom');
    const { events } = await opened;
    assert.deepEqual(brief(events), [['MODIFIED', 'live']]);
  });

  it("pods: the Job's pod as it follows the Job; Tables (one row an event) when the Accept header asks", async () => {
    const created = await create('with-pod');
    server.completeJob(NS, 'with-pod');
    const { events } = await watch(
      `/api/v1/namespaces/${NS}/pods?watch=true&resourceVersion=${Number(created.metadata.resourceVersion) - 1}&timeoutSeconds=1`,
      { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    );
    assert.deepEqual(
      events.map((event) => [
        event.type,
        event.object.kind,
        event.object.rows?.length,
        event.object.rows?.[0]?.cells[2],
      ]),
      [
        ['ADDED', 'Table', 1, 'Running'],
        ['MODIFIED', 'Table', 1, 'Completed'],
      ],
    );
  });

  it('a resourceVersion whose changes were dropped is 410 Gone; a bad timeoutSeconds is 400', async () => {
    const first = await create('first');
    // 1,001 changes after it: the first of them is no longer kept (the last 1,000 are).
    for (let i = 0; i < 1001; i += 1) server.startJob(NS, 'first');
    const gone = await requestKubeServer(
      server,
      'GET',
      `/apis/batch/v1/namespaces/${NS}/jobs?watch=true&timeoutSeconds=1&resourceVersion=${first.metadata.resourceVersion}`,
      { token: server.token },
    );
    assert.equal(gone.status, 410, gone.text);
    assert.match(gone.text, /too old resource version/);
    const bad = await requestKubeServer(server, 'GET', `/apis/batch/v1/jobs?watch=true&timeoutSeconds=soon`, {
      token: server.token,
    });
    assert.equal(bad.status, 400);
  });

  /** [type, involved Job, reason] of each event of an events watch. */
  const reasons = (events: WatchEvent[]) =>
    events.map((event) => {
      const object = event.object as unknown as { involvedObject: { name: string }; reason: string };
      return [event.type, object.involvedObject.name, object.reason];
    });

  it("events: those there are, then each one a Job's change makes, once (a delete makes none)", async () => {
    const first = await create('earlier');
    server.completeJob(NS, 'earlier');
    const listed = await watch(`/api/v1/namespaces/${NS}/events?watch=true&timeoutSeconds=1`);
    assert.deepEqual(reasons(listed.events), [
      ['ADDED', 'earlier', 'SuccessfulCreate'],
      ['ADDED', 'earlier', 'Completed'],
    ]);

    await create('later');
    server.startJob(NS, 'later');
    server.failJob(NS, 'later', 'kfctl apply failed', 'BackoffLimitExceeded');
    await requestKubeServer(server, 'DELETE', `/apis/batch/v1/namespaces/${NS}/jobs/later`, {
      token: server.token,
    });
    const replayed = await watch(
      `/api/v1/events?watch=true&timeoutSeconds=1&resourceVersion=${first.metadata.resourceVersion}`,
    );
    assert.deepEqual(reasons(replayed.events), [
      ['ADDED', 'earlier', 'Completed'],
      ['ADDED', 'later', 'SuccessfulCreate'],
      ['ADDED', 'later', 'BackoffLimitExceeded'],
    ]);
    const elsewhere = await watch(
      `/api/v1/namespaces/elsewhere/events?watch=true&timeoutSeconds=1&resourceVersion=${first.metadata.resourceVersion}`,
    );
    assert.deepEqual(elsewhere.events, []);
  });
});
