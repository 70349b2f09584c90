import assert from 'node:assert/strict';
import { parseQueuePath, type QueueEnv, type QueuePathResult } from '../../functions/config/queue-path.js';

describe('parseQueuePath', () => {
  const ok = (project: string, location: string, queueId: string): QueuePathResult => ({
    ok: true,
    queuePath: `projects/${project}/locations/${location}/queues/${queueId}`,
    project,
    location,
    queueId,
  });
  const cases: Array<{ name: string; env: QueueEnv; expected: QueuePathResult | RegExp }> = [
    {
      name: 'full path in TASKS_QUEUE',
      env: { TASKS_QUEUE: 'projects/my-proj/locations/us-central1/queues/deploys' },
      expected: ok('my-proj', 'us-central1', 'deploys'),
    },
    {
      name: 'full path with surrounding spaces',
      env: { TASKS_QUEUE: '  projects/my-proj/locations/us-central1/queues/deploys\n' },
      expected: ok('my-proj', 'us-central1', 'deploys'),
    },
    {
      name: 'domain-scoped project',
      env: { TASKS_QUEUE: 'projects/example.com:proj/locations/europe-west1/queues/q' },
      expected: ok('example.com:proj', 'europe-west1', 'q'),
    },
    {
      name: 'the three parts',
      env: { TASKS_PROJECT: 'my-proj', TASKS_LOCATION: 'us-central1', TASKS_QUEUE_ID: 'deploys' },
      expected: ok('my-proj', 'us-central1', 'deploys'),
    },
    {
      name: 'full path and agreeing parts',
      env: {
        TASKS_QUEUE: 'projects/my-proj/locations/us-central1/queues/deploys',
        TASKS_PROJECT: 'my-proj',
        TASKS_LOCATION: 'us-central1',
        TASKS_QUEUE_ID: 'deploys',
      },
      expected: ok('my-proj', 'us-central1', 'deploys'),
    },
    { name: 'nothing set', env: {}, expected: /^TASKS_QUEUE: must name the deploy queue .*\(missing\)/ },
    { name: 'blank values', env: { TASKS_QUEUE: '  ', TASKS_QUEUE_ID: '' }, expected: /\(missing\)/ },
    {
      name: 'a bare queue id in TASKS_QUEUE',
      env: { TASKS_QUEUE: 'deploys' },
      expected:
        /TASKS_QUEUE: must be projects\/PROJECT\/locations\/LOCATION\/queues\/QUEUE \(got "deploys"\)\. It looks like a bare queue id/,
    },
    {
      name: 'a malformed path',
      env: { TASKS_QUEUE: 'projects/p/queues/q' },
      expected: /^TASKS_QUEUE: must be .* \(got "projects\/p\/queues\/q"\)\.$/,
    },
    {
      name: 'an underscore in the queue id',
      env: { TASKS_QUEUE: 'projects/p/locations/l/queues/bad_id' },
      expected: /TASKS_QUEUE: must be/,
    },
    {
      name: 'some parts missing',
      env: { TASKS_PROJECT: 'my-proj' },
      expected: /^TASKS_LOCATION, TASKS_QUEUE_ID: missing/,
    },
    {
      name: 'a malformed part',
      env: { TASKS_PROJECT: 'my-proj', TASKS_LOCATION: 'us central', TASKS_QUEUE_ID: 'deploys' },
      expected: /^TASKS_LOCATION: must be a location such as us-central1 \(got "us central"\)$/,
    },
    {
      name: 'full path and disagreeing parts',
      env: { TASKS_QUEUE: 'projects/a/locations/l/queues/q', TASKS_PROJECT: 'b' },
      expected: /disagrees with TASKS_PROJECT\/TASKS_LOCATION\/TASKS_QUEUE_ID/,
    },
  ];
  for (const { name, env, expected } of cases) {
    it(name, () => {
      const result = parseQueuePath(env);
      if (expected instanceof RegExp) {
        assert.equal(result.ok, false, JSON.stringify(result));
        if (!result.ok) assert.match(result.problem, expected);
      } else {
        assert.deepEqual(result, expected);
      }
    });
  }
});
