import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  compactUtcMinute,
  credentialsCommand,
  deployRequestId,
  deployWindow,
  endpointUrl,
  instanceName,
  isValidLabelValue,
  isValidVersionName,
  kfctlVersion,
  kfDefUrlAt,
  MAX_TASK_ID_LENGTH,
  taskNameFor,
  teardownRequestId,
} from '../../functions/core/names.js';
import type { DeployReason } from '../../functions/core/types.js';

/** RFC 1123 DNS label: what a GKE cluster name and the endpoint host need. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** GKE cluster names: at most 40 characters, start with a letter. */
const GKE_CLUSTER_NAME = /^[a-z][-a-z0-9]{0,38}[a-z0-9]$/;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('names: deploy pipeline', () => {
  describe('instanceName', () => {
    const cases: Array<{ name: string; version: string; createdAt: string; seed: string; expected: string }> =
      [
        {
          name: 'month and day in UTC, hash of the seed',
          version: 'master',
          createdAt: '2026-11-29T14:00:00Z',
          seed: 'deploy-master-0123456789ab-c',
          expected: `kf-master-1129-${sha256('deploy-master-0123456789ab-c').slice(0, 3)}`,
        },
        {
          name: 'UTC, not local time, at the turn of the year',
          version: 'v1',
          createdAt: '2026-12-31T23:59:59Z',
          seed: 's',
          expected: `kf-v1-1231-${sha256('s').slice(0, 3)}`,
        },
        {
          name: 'single-digit month and day are padded',
          version: 'stacks',
          createdAt: '2027-01-02T00:00:00Z',
          seed: 'x',
          expected: `kf-stacks-0102-${sha256('x').slice(0, 3)}`,
        },
      ];
    for (const c of cases) {
      it(c.name, () => {
        assert.equal(instanceName(c.version, new Date(c.createdAt), c.seed), c.expected);
      });
    }

    it('is deterministic for a retried launch and differs with the seed', () => {
      const at = new Date('2026-11-29T14:00:00Z');
      assert.equal(instanceName('master', at, 'req-1'), instanceName('master', at, 'req-1'));
      const names = new Set(
        ['req-1', 'req-2', 'req-3', 'req-4'].map((seed) => instanceName('master', at, seed)),
      );
      assert.ok(names.size > 1, 'different seeds should not all give the same name');
    });

    const versions = ['a', 'v1', 'master', 'v1-0-branch', 'a'.repeat(24), 'x1-2-3-4-5-6-7-8-9-0-abc'];
    for (const version of versions) {
      it(`is a valid DNS label, label value and GKE cluster name for version ${JSON.stringify(version)}`, () => {
        assert.ok(isValidVersionName(version), 'precondition: the version name is valid');
        for (const seed of ['a', 'b', 'c', 'deploy-x-1', '']) {
          const name = instanceName(version, new Date('2026-09-30T08:00:00Z'), seed);
          assert.match(name, DNS_LABEL);
          assert.match(name, GKE_CLUSTER_NAME);
          assert.ok(isValidLabelValue(name), `${name} is a label value`);
          assert.ok(name.length <= 40, `${name} fits GKE's 40 characters`);
        }
      });
    }

    it('refuses an invalid version name instead of making an invalid instance name', () => {
      assert.throws(() => instanceName('Master', new Date('2026-11-29T14:00:00Z'), 's'), RangeError);
      assert.throws(() => instanceName('a'.repeat(25), new Date('2026-11-29T14:00:00Z'), 's'), /at most 24/);
    });
  });

  describe('request ids', () => {
    const at = new Date('2026-03-04T05:06:59Z');
    const windows: Array<{ reason: DeployReason; at: Date | null; expected: string }> = [
      { reason: 'new-commit', at: null, expected: 'c' },
      { reason: 'new-commit', at, expected: 'c202603040506' },
      { reason: 'periodic', at, expected: 'p202603040506' },
      { reason: 'manual', at, expected: 'm202603040506' },
    ];
    for (const w of windows) {
      it(`deployWindow(${w.reason}, ${w.at?.toISOString() ?? 'null'}) = ${w.expected}`, () => {
        assert.equal(deployWindow(w.reason, w.at), w.expected);
      });
    }

    it('compactUtcMinute is YYYYMMDDHHmm in UTC', () => {
      assert.equal(compactUtcMinute(new Date('2026-12-31T23:59:59.999Z')), '202612312359');
    });

    it('deployRequestId keeps 12 characters of the sha', () => {
      assert.equal(
        deployRequestId('master', '0123456789abcdef0123456789abcdef01234567', 'c'),
        'deploy-master-0123456789ab-c',
      );
    });

    it('teardownRequestId names the instance and the attempt', () => {
      assert.equal(teardownRequestId('kf-master-1129-abc', 2), 'teardown-kf-master-1129-abc-2');
    });

    it('ids contain no character a Firestore document id forbids', () => {
      const ids = [
        deployRequestId('v1-0-branch', 'f'.repeat(40), deployWindow('periodic', at)),
        teardownRequestId('kf-v1-0-branch-0304-0ab', 10),
      ];
      for (const id of ids) {
        assert.doesNotMatch(id, /\//);
        assert.doesNotMatch(id, /^__.*__$/);
        assert.notEqual(id, '.');
      }
    });
  });

  describe('taskNameFor', () => {
    it('puts a hash of request and count first, then the readable id and the count', () => {
      const name = taskNameFor('deploy-master-0123456789ab-c', 3);
      assert.equal(
        name,
        `${sha256('deploy-master-0123456789ab-c#3').slice(0, 16)}-deploy-master-0123456789ab-c-3`,
      );
    });

    it('is deterministic, and a re-enqueue (count + 1) is a different task', () => {
      assert.equal(taskNameFor('r', 1), taskNameFor('r', 1));
      assert.notEqual(taskNameFor('r', 1), taskNameFor('r', 2));
      assert.notEqual(taskNameFor('r', 1).slice(0, 16), taskNameFor('r', 2).slice(0, 16));
    });

    const ids = ['deploy-master-abc-c', 'weird id/with%chars:and.dots', 'x'.repeat(1000), 'ü'];
    for (const id of ids) {
      it(`is a valid task id for ${JSON.stringify(id.slice(0, 30))}`, () => {
        const name = taskNameFor(id, 12);
        assert.match(name, /^[A-Za-z0-9_-]{1,500}$/);
        assert.ok(name.length <= MAX_TASK_ID_LENGTH);
        assert.ok(name.endsWith('-12'), 'keeps the count even when the id is cut');
      });
    }

    it('replaces invalid characters with "-"', () => {
      assert.ok(taskNameFor('a/b.c d', 0).endsWith('-a-b-c-d-0'));
    });
  });

  describe('links and commands', () => {
    it('kfDefUrlAt points at the file at the commit', () => {
      assert.equal(
        kfDefUrlAt('kubeflow/manifests', 'abc123', 'kfdef/kfctl_gcp_iap.v1.0.0.yaml'),
        'https://raw.githubusercontent.com/kubeflow/manifests/abc123/kfdef/kfctl_gcp_iap.v1.0.0.yaml',
      );
      assert.equal(
        kfDefUrlAt('o/r', 'abc', '/dir with space/k.yaml'),
        'https://raw.githubusercontent.com/o/r/abc/dir%20with%20space/k.yaml',
      );
    });

    it('endpointUrl is the IAP endpoint', () => {
      assert.equal(
        endpointUrl('kf-master-1129-abc', 'kubeflow-ci-deployment'),
        'https://kf-master-1129-abc.endpoints.kubeflow-ci-deployment.cloud.goog',
      );
    });

    it('credentialsCommand is the original gcloud command', () => {
      assert.equal(
        credentialsCommand('kf-master-1129-abc', 'kubeflow-ci-deployment', 'us-east1-c'),
        'gcloud --project=kubeflow-ci-deployment container clusters get-credentials --zone=us-east1-c kf-master-1129-abc',
      );
    });

    const kfctl: Array<{ url: string; expected: string }> = [
      {
        url: 'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0-0-g94c35cf_linux.tar.gz',
        expected: 'v1.0-0-g94c35cf',
      },
      {
        url: 'https://github.com/kubeflow/kfctl/releases/download/v1.2.0/kfctl_v1.2.0-0-gbc038f9_darwin.tar.gz',
        expected: 'v1.2.0-0-gbc038f9',
      },
      {
        url: 'https://storage.googleapis.com/kubeflow-ci_builds/kfctl/20200413_0845/linux/kfctl',
        expected: '20200413_0845',
      },
      { url: 'https://example.com/releases/download/v1.0/kfctl?x=1', expected: 'v1.0' },
      { url: 'https://example.com/tools/kfctl', expected: 'kfctl' },
      { url: 'not a url/kfctl_v2_linux', expected: 'v2' },
    ];
    for (const k of kfctl) {
      it(`kfctlVersion(${k.url}) = ${k.expected}`, () => {
        assert.equal(kfctlVersion(k.url), k.expected);
      });
    }
  });
});
