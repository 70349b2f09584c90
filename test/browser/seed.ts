/**
 * The state the browser tests look at, written straight into Firestore relative to `now`: two days of
 * version master as it would look (instances launched by pushes, periodic redeploys and a retry; one
 * failed, one unhealthy for a while, leases, teardowns), and a version `hostile` whose branch name,
 * commit message, commit author and lease owner are markup that must show as text and never run.
 */
import type { Firestore } from '@google-cloud/firestore';
import { decisionDoc } from '../../functions/adapters/firestore/codec.js';
import { FirestoreTickHealthStore } from '../../functions/adapters/firestore/health-store.js';
import { leaseDoc } from '../../functions/adapters/firestore/lease-codec.js';
import { branchRef, leaseRef, versionRef } from '../../functions/adapters/firestore/refs.js';
import type { Lease } from '../../functions/core/leases.js';
import type {
  Deployment,
  DeploymentStatus,
  DeployReason,
  VersionDecision,
} from '../../functions/core/types.js';
import { E2E_KFCTL_URL, E2E_PROJECT, E2E_REPO, E2E_ZONE, type E2eVersion } from '../e2e/helpers.js';
import { makeDeployment, makeDeployRequest, makeLease } from '../support/fixtures.js';
import { putDeployment, putRequest } from '../support/pipeline-fixtures.js';

/** Markup that would set `window.__pwned` if it ever ran. */
export const HOSTILE = {
  branch: 'feature/<script>window.__pwned=1</script>',
  owner: '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">',
  message: '<script>window.__pwned=4</script> fix <img src=x onerror="window.__pwned=5">',
  author: '<b>mallory</b>',
} as const;

export const BROWSER_VERSIONS: E2eVersion[] = [
  { name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' },
  { name: 'hostile', branch: HOSTILE.branch, kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' },
];

/** One seeded instance: its version, suffix, why it was launched, its life (status, hours ago). */
export interface SeededInstance {
  version: string;
  suffix: string;
  reason: DeployReason;
  life: Array<[DeploymentStatus, number]>;
  /** Why GC collected it (a teardown request), when it did. */
  collected?: string;
  error?: string;
}

export const MASTER_INSTANCES: SeededInstance[] = [
  {
    version: 'master',
    suffix: 'a1c',
    reason: 'new-commit',
    life: [
      ['launching', 46],
      ['deploying', 45.95],
      ['verifying', 45.6],
      ['ready', 45.3],
      ['deleting', 33],
      ['deleted', 32.7],
    ],
    collected: 'older than 3 h and the newer ready instance has been ready for 3 h',
  },
  {
    version: 'master',
    suffix: 'b27',
    reason: 'periodic',
    life: [
      ['launching', 36],
      ['deploying', 35.95],
      ['verifying', 35.6],
      ['ready', 35.2],
      ['deleting', 21],
      ['deleted', 20.6],
    ],
    collected: 'older than 3 h and the newer ready instance has been ready for 3 h',
  },
  {
    version: 'master',
    suffix: 'c90',
    reason: 'new-commit',
    life: [
      ['launching', 24],
      ['deploying', 23.95],
      ['failed', 23.3],
      ['deleting', 22.3],
      ['deleted', 22],
    ],
    collected: 'failed 1 h ago',
    error: 'Job failed: kfctl apply exited 1 (BackoffLimitExceeded)',
  },
  {
    version: 'master',
    suffix: 'd4e',
    reason: 'retry',
    life: [
      ['launching', 22.5],
      ['deploying', 22.45],
      ['verifying', 22.1],
      ['ready', 21.8],
      ['unhealthy', 15],
      ['ready', 14.2],
      ['deleting', 8],
      ['deleted', 7.7],
    ],
    collected: 'older than 3 h and the newer ready instance has been ready for 3 h',
  },
  {
    version: 'master',
    suffix: 'e5f',
    reason: 'new-commit',
    life: [
      ['launching', 12],
      ['deploying', 11.95],
      ['verifying', 11.6],
      ['ready', 11.3],
    ],
  },
  {
    version: 'master',
    suffix: 'f06',
    reason: 'new-commit',
    life: [
      ['launching', 1.2],
      ['deploying', 1.15],
      ['verifying', 0.6],
    ],
  },
];

export const HOSTILE_INSTANCES: SeededInstance[] = [
  {
    version: 'hostile',
    suffix: 'h01',
    reason: 'new-commit',
    life: [
      ['launching', 5],
      ['deploying', 4.9],
      ['ready', 4],
    ],
  },
];

function sha(seed: string): string {
  return seed.repeat(40).slice(0, 40);
}

function mmdd(at: Date): string {
  return `${String(at.getUTCMonth() + 1).padStart(2, '0')}${String(at.getUTCDate()).padStart(2, '0')}`;
}

/** The instance name of a seeded instance under `now`. */
export function instanceName(seeded: SeededInstance, now: Date): string {
  const launched = new Date(now.getTime() - (seeded.life[0]?.[1] ?? 0) * 3_600_000);
  return `kf-${seeded.version}-${mmdd(launched)}-${seeded.suffix}`;
}

/** The get-credentials command the page shows for an instance. */
export function credentialsCommand(instance: string): string {
  return `gcloud --project=${E2E_PROJECT} container clusters get-credentials --zone=${E2E_ZONE} ${instance}`;
}

function deploymentOf(seeded: SeededInstance, now: Date): Deployment {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000);
  const transitions = seeded.life.map(([status, hoursAgo]) => ({ status, at: at(hoursAgo) }));
  const instance = instanceName(seeded, now);
  const last = transitions.at(-1) ?? { status: 'launching' as const, at: now };
  const branch = BROWSER_VERSIONS.find((v) => v.name === seeded.version)?.branch ?? 'master';
  const commit = sha(seeded.suffix[0] ?? '0');
  return makeDeployment({
    instance,
    version: seeded.version,
    branch,
    repo: E2E_REPO,
    commit,
    reason: seeded.reason,
    requestId: `deploy-${instance}`,
    status: last.status,
    namespace: 'auto-deploy-e2e',
    jobName: `auto-deploy-${seeded.version}-${seeded.suffix}`,
    teardownJobName: seeded.collected ? `auto-teardown-${seeded.version}-${seeded.suffix}` : null,
    kfctlUrl: E2E_KFCTL_URL,
    kfDefUrl: `https://raw.githubusercontent.com/${E2E_REPO}/${commit}/kfdef/kfctl_gcp_iap.yaml`,
    endpoint: `https://${instance}.endpoints.${E2E_PROJECT}.cloud.goog`,
    credentialsCommand: credentialsCommand(instance),
    createdAt: transitions[0]?.at ?? now,
    updatedAt: last.at,
    readyAt: transitions.find((t) => t.status === 'ready')?.at ?? null,
    deletedAt: last.status === 'deleted' ? last.at : null,
    attempt: seeded.reason === 'retry' ? 2 : 1,
    error: seeded.error ?? null,
    transitions,
  });
}

async function putCommit(
  db: Firestore,
  branch: string,
  commit: string,
  message: string,
  author: string,
  at: Date,
) {
  await branchRef(db, E2E_REPO, branch)
    .collection('commits')
    .doc(commit)
    .set({
      sha: commit,
      message,
      author: { name: author, email: null, username: author },
      timestamp: at,
      url: null,
      distinct: true,
      repo: E2E_REPO,
      branch,
      pusher: author,
      source: 'webhook',
      deliveryId: `seed-${commit.slice(0, 8)}`,
      isHeadOfPush: true,
      recordedAt: at,
    });
  await branchRef(db, E2E_REPO, branch).set({
    repo: E2E_REPO,
    branch,
    sha: commit,
    deleted: false,
    updatedAt: at,
  });
}

async function putLease(db: Firestore, lease: Lease): Promise<void> {
  await leaseRef(db, lease.leaseId).set(leaseDoc(lease));
}

async function putDecision(db: Firestore, decision: VersionDecision, now: Date): Promise<void> {
  await versionRef(db, decision.version).set(
    { decision: decisionDoc(decision, ''), decidedAt: now },
    { merge: true },
  );
}

/** Writes the instances, their requests, the pushes, the leases and master's decision. */
export async function seedBrowserState(db: Firestore, now: Date): Promise<void> {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000);
  for (const seeded of [...MASTER_INSTANCES, ...HOSTILE_INSTANCES]) {
    const d = deploymentOf(seeded, now);
    await putDeployment(db, d);
    await putRequest(
      db,
      makeDeployRequest({
        id: d.requestId,
        version: d.version,
        commit: d.commit,
        reason: d.reason,
        createdAt: at(seeded.life[0]?.[1] ?? 0),
        status: 'done',
      }),
    );
    if (seeded.collected) {
      const deleting = seeded.life.find(([status]) => status === 'deleting')?.[1] ?? 0;
      await putRequest(
        db,
        makeDeployRequest({
          id: `teardown-${d.instance}-1`,
          action: 'teardown',
          instance: d.instance,
          version: d.version,
          commit: d.commit,
          reason: seeded.collected,
          createdAt: at(deleting + 0.05),
          status: 'done',
        }),
      );
    }
  }
  const pushes: Array<[string, number, string]> = [
    ['a', 46.1, 'Update kfdef for 1.0.1'],
    ['c', 24.1, 'Bump istio to 1.3.1'],
    ['e', 12.1, 'Fix the pipelines manifest'],
    ['f', 1.25, 'Add the katib overlay'],
    ['9', 0.1, 'Update the pipelines version'],
  ];
  for (const [seed, hoursAgo, message] of pushes)
    await putCommit(db, 'master', sha(seed), message, 'janedoe', at(hoursAgo));
  await putCommit(db, HOSTILE.branch, sha('h'), HOSTILE.message, HOSTILE.author, at(5.1));
  const ready = instanceName(MASTER_INSTANCES[4] as SeededInstance, now);
  await putLease(
    db,
    makeLease({
      leaseId: 'lease-master-0000000000000001',
      instance: ready,
      owner: 'kubeflow/examples#1234',
      createdAt: at(3),
      expiresAt: at(-1),
    }),
  );
  await putLease(
    db,
    makeLease({
      leaseId: 'lease-master-0000000000000002',
      instance: ready,
      owner: 'kubeflow/pipelines#9',
      createdAt: at(9),
      status: 'released',
      closedAt: at(8),
    }),
  );
  const hostile = instanceName(HOSTILE_INSTANCES[0] as SeededInstance, now);
  await putLease(
    db,
    makeLease({
      leaseId: 'lease-hostile-0000000000000003',
      version: 'hostile',
      instance: hostile,
      owner: HOSTILE.owner,
      createdAt: at(2),
      expiresAt: at(-2),
    }),
  );
  await putDecision(
    db,
    { kind: 'deploy', version: 'master', commit: sha('9'), reason: 'new-commit', notBefore: at(-0.25) },
    now,
  );
  // A tick two minutes ago that met nothing: the Pipeline line as it usually reads.
  await new FirestoreTickHealthStore(db).writeTickHealth({ ranAt: at(2 / 60), ok: true, problems: [] });
}
