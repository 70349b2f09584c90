import assert from 'node:assert/strict';
import { deferredJobLauncher } from '../../functions/adapters/deferred-job-launcher.js';
import { MemoryJobs } from '../support/memory-stores.js';

describe('deferredJobLauncher', () => {
  it('builds the launcher on first use, once, and delegates every call to it', async () => {
    const inner = new MemoryJobs();
    let builds = 0;
    const launcher = deferredJobLauncher(async () => {
      builds += 1;
      return inner;
    });
    assert.equal(builds, 0);
    const created = await launcher.createJob('ns', { metadata: { name: 'j1', labels: { a: 'b' } } });
    assert.equal(created.name, 'j1');
    assert.deepEqual(
      (await launcher.listJobs('ns', { a: 'b' })).map((job) => job.name),
      ['j1'],
    );
    await launcher.deleteJob('ns', 'j1');
    assert.deepEqual(inner.jobs, []);
    assert.equal(builds, 1);
  });

  it('does not remember a failed build: the next call tries again', async () => {
    let builds = 0;
    const launcher = deferredJobLauncher(async () => {
      builds += 1;
      if (builds === 1) throw new Error('GetCluster: UNAVAILABLE');
      return new MemoryJobs();
    });
    await assert.rejects(launcher.listJobs('ns', {}), /UNAVAILABLE/);
    assert.deepEqual(await launcher.listJobs('ns', {}), []);
    assert.equal(builds, 2);
  });
});
