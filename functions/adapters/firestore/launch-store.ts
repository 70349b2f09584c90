/**
 * The worker's store. Each claim reads what the worker's decision needs, runs the pure decision
 * (core/launch.ts, core/teardown.ts) and applies the writes it returns, in one transaction: two
 * deliveries of one task, or two launches racing for the last slot, cannot both win.
 */
import type { DocumentSnapshot, Firestore, Transaction } from '@google-cloud/firestore';
import type {
  ClaimWrites,
  LaunchClaim,
  LaunchClaimInput,
  LaunchStep,
  LaunchView,
} from '../../core/launch.js';
import type { LaunchStore, RequestPatch } from '../../core/ports.js';
import type { TeardownClaim, TeardownStep, TeardownView } from '../../core/teardown.js';
import type { Deployment, DeployRequest, VersionState } from '../../core/types.js';
import {
  deploymentDoc,
  deploymentFromDoc,
  deploymentPatchDoc,
  headFromBranchDoc,
  requestDoc,
  requestFromDoc,
  switchesFromDoc,
} from './codec.js';
import { KeyLanes } from './key-lanes.js';
import { leaseDoc, leasesFromDocs } from './lease-codec.js';
import {
  branchRef,
  deploymentRef,
  drainRef,
  getAll,
  instanceLeasesQuery,
  leaseRef,
  readRecentDeployments,
  requestRef,
  versionRef,
} from './refs.js';

/** One lane for every claim: a teardown moves a deployment within the set the launches read. */
const CLAIM_LANE = 'claims';

export class FirestoreLaunchStore implements LaunchStore {
  /**
   * The claims of one instance run one at a time. Each launch reads every active deployment (the
   * capacity) in its transaction and writes one into that set, so two launches of different versions
   * at the same moment conflict: Firestore aborts one and the client retries it after a backoff of a
   * second or more (docs/benchmarks.md). In a lane they follow each other, a few ms apart; the
   * transaction still guards against other instances.
   */
  private readonly claims = new KeyLanes();

  constructor(private readonly db: Firestore) {}

  async getRequest(id: string): Promise<DeployRequest | null> {
    return requestFromDoc(await requestRef(this.db, id).get());
  }

  async claimLaunch(
    claim: LaunchClaimInput,
    decide: (view: LaunchView) => LaunchClaim | Promise<LaunchClaim>,
  ): Promise<LaunchStep> {
    return this.claims.run(CLAIM_LANE, () => this.runLaunchClaim(claim, decide));
  }

  private runLaunchClaim(
    claim: Parameters<LaunchStore['claimLaunch']>[0],
    decide: Parameters<LaunchStore['claimLaunch']>[1],
  ): Promise<LaunchStep> {
    return this.db.runTransaction(async (tx) => {
      const { view, creates } = await this.readLaunchView(tx, claim);
      const { step, writes } = await decide(view);
      this.apply(tx, claim.requestId, writes, creates);
      return step;
    });
  }

  async claimTeardown(
    requestId: string,
    decide: (view: TeardownView) => TeardownClaim | Promise<TeardownClaim>,
  ): Promise<TeardownStep> {
    return this.claims.run(CLAIM_LANE, () => this.runTeardownClaim(requestId, decide));
  }

  private runTeardownClaim(
    requestId: string,
    decide: Parameters<LaunchStore['claimTeardown']>[1],
  ): Promise<TeardownStep> {
    return this.db.runTransaction(async (tx) => {
      const request = requestFromDoc(await tx.get(requestRef(this.db, requestId)));
      const instance = request?.instance ?? null;
      const [deployment, leases] = instance
        ? await Promise.all([
            tx.get(deploymentRef(this.db, instance)).then(deploymentFromDoc),
            // Read in the transaction: a lease taken after the planner decided stops the teardown.
            tx.get(instanceLeasesQuery(this.db, instance)).then((result) => leasesFromDocs(result.docs)),
          ])
        : [null, []];
      const { step, writes } = await decide({ request, deployment, leases });
      this.apply(tx, requestId, writes);
      return step;
    });
  }

  async finishStep(instance: string, patch: Partial<Deployment>, request?: RequestPatch): Promise<void> {
    const batch = this.db.batch();
    batch.update(deploymentRef(this.db, instance), deploymentPatchDoc(patch));
    if (request) batch.update(requestRef(this.db, request.id), request.patch);
    await batch.commit();
  }

  /**
   * The request, its version, the recent deployments (every active one), and the taken candidate names;
   * `creates`: the caller's request (`claim.create`) when none is stored, for the transaction to create.
   * A caller that holds the request (`claim.create`) has it read with the version's documents, in one
   * call; otherwise the request is read first, for its version.
   */
  private async readLaunchView(
    tx: Transaction,
    claim: Parameters<LaunchStore['claimLaunch']>[0],
  ): Promise<{ view: LaunchView; creates: DeployRequest | null }> {
    const { now } = claim;
    const known = claim.create ?? null;
    const first = known ? null : requestFromDoc(await tx.get(requestRef(this.db, claim.requestId)));
    const asked = known ?? first;
    const config = asked ? claim.versions.find((candidate) => candidate.name === asked.version) : undefined;
    const isDeploy = asked?.action === 'deploy';
    const candidates = asked && isDeploy && config ? claim.candidateNames(asked) : [];
    const refs = config
      ? [
          versionRef(this.db, config.name),
          branchRef(this.db, config.repo, config.branch),
          drainRef(this.db),
          ...candidates.map((name) => deploymentRef(this.db, name)),
        ]
      : [];
    // Every deployment not deleted (the capacity) and the recently launched ones (the rate limit):
    // never the version's whole history. Read in the transaction, so a launch racing for the last
    // slot aborts. The cluster is asked meanwhile.
    const [docs, deployments, runningJob] = await Promise.all([
      getAll(this.db, known ? [requestRef(this.db, claim.requestId), ...refs] : refs, tx),
      readRecentDeployments(this.db, now, tx),
      isDeploy && claim.runningJobOf && asked ? claim.runningJobOf(asked) : null,
    ]);
    const [versionDoc, branchDoc, drainDoc, ...candidateDocs] = known ? docs.slice(1) : docs;
    const stored = known ? requestFromDoc(docs[0] as DocumentSnapshot) : first;
    const creates = stored === null ? known : null;
    const request = stored ?? creates;
    const switches = switchesFromDoc(versionDoc?.data(), drainDoc?.data());
    const version: VersionState | null = config
      ? { config, switches, head: headFromBranchDoc(branchDoc?.data()) }
      : null;
    const takenInstances = new Set(candidateDocs.filter((doc) => doc.exists).map((doc) => doc.id));
    return { view: { request, version, deployments, takenInstances, now, runningJob }, creates };
  }

  /**
   * Applies a claim's writes; `request` patches the claimed request, or completes the one `creates`
   * (the caller's, not stored yet), which is created with it.
   */
  private apply(
    tx: Transaction,
    requestId: string,
    writes: ClaimWrites,
    creates: DeployRequest | null = null,
  ): void {
    const { createDeployment, deployment, request, leases } = writes;
    if (createDeployment) {
      tx.create(deploymentRef(this.db, createDeployment.instance), deploymentDoc(createDeployment));
    }
    if (deployment)
      tx.update(deploymentRef(this.db, deployment.instance), deploymentPatchDoc(deployment.patch));
    if (creates) tx.create(requestRef(this.db, creates.id), requestDoc({ ...creates, ...request }));
    else if (request) tx.update(requestRef(this.db, requestId), request);
    for (const lease of leases ?? []) tx.set(leaseRef(this.db, lease.leaseId), leaseDoc(lease));
  }
}
