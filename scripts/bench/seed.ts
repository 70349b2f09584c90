/**
 * Seeds the benchmark project in the Firestore emulator directly (from the benchmark's process, so
 * nothing here is counted), with documents shaped as the product writes them (docs/data-model.md):
 * branch heads, deployments (ready, deploying, and a deleted history) and done deploy requests.
 */
import { Firestore } from '@google-cloud/firestore';
import { branchDocId } from '../../functions/core/names.js';
import { BENCH_NAMESPACE, BENCH_PROJECT_ID, BENCH_REPO, type BenchVersion, fakeSha } from './bench-env.js';

const HOUR_MS = 3_600_000;
const BATCH_SIZE = 400;

export function benchFirestore(host: string): Firestore {
  return new Firestore({ projectId: BENCH_PROJECT_ID, host, ssl: false });
}

/** The head commit seeded for a version. */
export function seededHead(version: BenchVersion): string {
  return fakeSha(`head-${version.name}`);
}

type Doc = { path: string; data: Record<string, unknown> };

async function writeAll(db: Firestore, docs: Doc[]): Promise<void> {
  for (let start = 0; start < docs.length; start += BATCH_SIZE) {
    const batch = db.batch();
    for (const doc of docs.slice(start, start + BATCH_SIZE)) batch.set(db.doc(doc.path), doc.data);
    await batch.commit();
  }
}

function deployment(
  version: BenchVersion,
  instance: string,
  commit: string,
  status: string,
  createdAt: Date,
) {
  const at = (hours: number) => new Date(createdAt.getTime() + hours * HOUR_MS);
  return {
    instance,
    version: version.name,
    repo: BENCH_REPO,
    branch: version.branch,
    commit,
    reason: 'new-commit',
    requestId: `deploy-${version.name}-${commit.slice(0, 12)}-c`,
    status,
    namespace: BENCH_NAMESPACE,
    jobName: `auto-deploy-${instance}`,
    teardownJobName: status === 'deleted' ? `auto-teardown-${instance}` : null,
    kfctlUrl: 'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0_linux.tar.gz',
    kfDefUrl: `https://raw.githubusercontent.com/${BENCH_REPO}/${commit}/kfdef/kfctl_gcp_iap.yaml`,
    endpoint: `https://${instance}.endpoints.bench-project.cloud.goog`,
    credentialsCommand: `gcloud --project=bench-project container clusters get-credentials --zone=us-east1-c ${instance}`,
    createdAt,
    updatedAt: at(status === 'deleted' ? 30 : 0.5),
    readyAt: status === 'deploying' ? null : at(0.5),
    finishedAt: status === 'deploying' ? null : at(0.5),
    deletingAt: status === 'deleted' ? at(29) : null,
    deletedAt: status === 'deleted' ? at(30) : null,
    launchLeaseExpiresAt: null,
    error: null,
  };
}

function doneRequest(version: BenchVersion, commit: string, createdAt: Date) {
  return {
    action: 'deploy',
    version: version.name,
    commit,
    reason: 'new-commit',
    instance: null,
    notBefore: createdAt,
    status: 'done',
    enqueueCount: 1,
    taskName: `bench-${commit.slice(0, 12)}-1`,
    enqueuedAt: createdAt,
    createdAt,
    updatedAt: createdAt,
    error: null,
  };
}

/** A Job the tick's refresh will find running for a deploying instance. */
export interface SeededJob {
  name: string;
  labels: Record<string, string>;
}

/**
 * Per version: its branch head, and a ready instance of it launched 6 h ago (up to date: the tick
 * plans nothing). The first `deploying` versions get a newer head whose instance is deploying, with
 * its Job returned for the caller to create on the cluster.
 */
export async function seedActive(
  db: Firestore,
  versions: BenchVersion[],
  deploying: number,
  now: Date,
): Promise<{ jobs: SeededJob[]; heads: Map<string, string> }> {
  const docs: Doc[] = [];
  const jobs: SeededJob[] = [];
  const heads = new Map<string, string>();
  versions.forEach((version, index) => {
    const ready = fakeSha(`ready-${version.name}`);
    const readyInstance = `kf-${version.name}-r`;
    docs.push({
      path: `deployments/${readyInstance}`,
      data: deployment(version, readyInstance, ready, 'ready', new Date(now.getTime() - 6 * HOUR_MS)),
    });
    let head = ready;
    if (index < deploying) {
      head = seededHead(version);
      const instance = `kf-${version.name}-d`;
      docs.push({
        path: `deployments/${instance}`,
        data: deployment(version, instance, head, 'deploying', new Date(now.getTime() - HOUR_MS)),
      });
      jobs.push({
        name: `auto-deploy-${instance}`,
        labels: {
          'auto-deploy': 'true',
          'auto-deploy-action': 'deploy',
          'git-manifests': head,
          'auto-version-name': version.name,
          'kf-name': instance,
        },
      });
    }
    heads.set(version.branch, head);
    docs.push({
      path: `branches/${branchDocId(BENCH_REPO, version.branch)}`,
      data: {
        repo: BENCH_REPO,
        branch: version.branch,
        sha: head,
        deleted: false,
        updatedAt: now,
        pushedAt: now,
        forced: false,
        source: 'webhook',
        deliveryId: `seed-${version.name}`,
        recentShas: [],
        versions: [version.name],
      },
    });
  });
  await writeAll(db, docs);
  return { jobs, heads };
}

/** `count` deleted instances (and their done requests), spread over the versions, 3 days to months old. */
export async function seedHistory(
  db: Firestore,
  versions: BenchVersion[],
  count: number,
  now: Date,
): Promise<void> {
  const docs: Doc[] = [];
  for (let i = 0; i < count; i++) {
    const version = versions[i % versions.length] as BenchVersion;
    const commit = fakeSha(`history-${version.name}-${i}`);
    const createdAt = new Date(now.getTime() - (72 + i * 4) * HOUR_MS);
    const instance = `kf-${version.name}-h${i}`;
    docs.push({
      path: `deployments/${instance}`,
      data: deployment(version, instance, commit, 'deleted', createdAt),
    });
    docs.push({
      path: `deployRequests/deploy-${version.name}-${commit.slice(0, 12)}-h${i}`,
      data: doneRequest(version, commit, createdAt),
    });
  }
  await writeAll(db, docs);
}
