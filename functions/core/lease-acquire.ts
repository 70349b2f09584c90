/**
 * Taking a lease, inside the store's transaction: which instance, or why none. Pure: what the transaction
 * read (the lease of that id, if any, and the candidate deployments) and `now` in, the answer and the
 * lease to create out.
 */
import type { LeaseRequest } from './lease-body.js';
import type { Lease } from './leases.js';
import { deploymentsNewestFirst } from './status-json.js';
import { addSeconds } from './time.js';
import type { Deployment, DeploymentStatus } from './types.js';

/** What an acquire's transaction read. */
export interface AcquireView {
  /** The lease stored under the id this acquire would create (a repeated requestId), or null. */
  existing: Lease | null;
  /**
   * The candidates: the pinned instance's deployment (none when it does not exist), or else every
   * `ready` deployment (of any version: the decision picks the version's).
   */
  deployments: readonly Deployment[];
}

/** Who asks, and what the new lease is called. */
export interface AcquireContext {
  leaseId: string;
  now: Date;
  /** The authenticated caller, or null. */
  createdBy: string | null;
}

export type AcquireOutcome =
  /** 201: a new lease. */
  | { kind: 'created'; lease: Lease }
  /** 200: the lease this requestId already made (whatever its status now). */
  | { kind: 'existing'; lease: Lease }
  /** 409: the requestId already made a lease of another instance than the one pinned now. */
  | { kind: 'request-id-conflict'; lease: Lease }
  /** 409: the version has no ready instance. */
  | { kind: 'no-ready-instance'; version: string }
  /** 404: the pinned instance does not exist. */
  | { kind: 'unknown-instance'; instance: string }
  /** 409: the pinned instance is not ready (or not of the version asked). */
  | { kind: 'instance-not-ready'; instance: string; status: DeploymentStatus; version: string };

export interface AcquireClaim {
  outcome: AcquireOutcome;
  /** The lease to create in the transaction (created outcomes only). */
  create: Lease | null;
}

type Picked = { deployment: Deployment } | { refusal: AcquireOutcome };

/** The instance to lease: the pinned one if it is a ready instance of the version, else the newest ready one. */
function pickInstance(request: LeaseRequest, deployments: readonly Deployment[]): Picked {
  const { version, instance } = request;
  if (instance !== null) {
    const pinned = deployments.find((d) => d.instance === instance);
    if (!pinned) return { refusal: { kind: 'unknown-instance', instance } };
    if (pinned.status !== 'ready' || pinned.version !== version) {
      return {
        refusal: { kind: 'instance-not-ready', instance, status: pinned.status, version: pinned.version },
      };
    }
    return { deployment: pinned };
  }
  const newest = deploymentsNewestFirst(deployments).find(
    (d) => d.version === version && d.status === 'ready',
  );
  return newest ? { deployment: newest } : { refusal: { kind: 'no-ready-instance', version } };
}

/** The lease a request takes on `deployment`. */
export function newLease(request: LeaseRequest, deployment: Deployment, context: AcquireContext): Lease {
  return {
    leaseId: context.leaseId,
    version: deployment.version,
    instance: deployment.instance,
    commit: deployment.commit,
    endpoint: deployment.endpoint,
    credentialsCommand: deployment.credentialsCommand,
    owner: request.owner,
    requestId: request.requestId,
    status: 'active',
    ttlSeconds: request.ttlSeconds,
    createdAt: context.now,
    expiresAt: addSeconds(context.now, request.ttlSeconds),
    heartbeatAt: null,
    closedAt: null,
    createdBy: context.createdBy,
  };
}

/**
 * - a lease already stored under this id (the same requestId again): that lease, unchanged (200), unless
 *   this request pins another instance than it holds (409 `request-id-conflict`);
 * - a pinned instance: it must exist (else 404) and be a ready instance of the version (else 409);
 * - otherwise the newest ready instance of the version (409 `no-ready-instance` when there is none).
 */
export function decideAcquire(
  request: LeaseRequest,
  view: AcquireView,
  context: AcquireContext,
): AcquireClaim {
  const { existing } = view;
  if (existing) {
    const isOtherInstance = request.instance !== null && request.instance !== existing.instance;
    return {
      outcome: isOtherInstance
        ? { kind: 'request-id-conflict', lease: existing }
        : { kind: 'existing', lease: existing },
      create: null,
    };
  }
  const picked = pickInstance(request, view.deployments);
  if ('refusal' in picked) return { outcome: picked.refusal, create: null };
  const lease = newLease(request, picked.deployment, context);
  return { outcome: { kind: 'created', lease }, create: lease };
}
