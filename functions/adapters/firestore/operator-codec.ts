/**
 * The operator API's documents to and from the core's types (docs/data-model.md): the operator fields
 * of `versions/{name}`, the drain (`control/drain`), and the events of a version's history
 * (`versions/{name}/events/{eventId}`). Readers are lenient: a field an operator set by hand in the
 * console (a string `pausedReason`, a missing `pausedBy`) still reads.
 */
import type { DocumentData, DocumentSnapshot } from '@google-cloud/firestore';
import {
  type DrainState,
  NO_DRAIN,
  type OperatorAction,
  type OperatorEvent,
  type VersionControl,
} from '../../core/operator.js';
import { requiredDate, toDate } from './codec.js';

const ACTIONS: readonly OperatorAction[] = ['pause', 'resume', 'redeploy', 'teardown', 'drain', 'undrain'];

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The operator fields of a versions/{name} document (absent: not paused, no force). */
export function versionControlFromDoc(data: DocumentData | undefined): VersionControl {
  return {
    paused: data?.paused === true,
    pausedReason: typeof data?.pausedReason === 'string' ? data.pausedReason : '',
    pausedBy: stringOrNull(data?.pausedBy),
    pausedAt: toDate(data?.pausedAt),
    forceRedeploy: data?.forceRedeploy === true,
  };
}

/** control/drain (absent: off). */
export function drainFromDoc(data: DocumentData | undefined): DrainState {
  if (!data) return NO_DRAIN;
  return {
    drained: data.drained === true,
    reason: typeof data.reason === 'string' ? data.reason : '',
    by: stringOrNull(data.by),
    claimedBy: stringOrNull(data.claimedBy),
    at: toDate(data.at),
  };
}

/** An event as stored (flat, the id also a field, for the console). */
export function eventDoc(event: OperatorEvent): DocumentData {
  return { ...event };
}

/** Reads an events document; null for one that is not an operator event. */
export function eventFromDoc(snapshot: DocumentSnapshot): OperatorEvent | null {
  const data = snapshot.data();
  if (!data || !ACTIONS.includes(data.action)) return null;
  return {
    eventId: snapshot.id,
    version: String(data.version),
    action: data.action as OperatorAction,
    at: requiredDate(data.at),
    by: stringOrNull(data.by),
    claimedBy: stringOrNull(data.claimedBy),
    reason: stringOrNull(data.reason),
    instance: stringOrNull(data.instance),
    requestId: stringOrNull(data.requestId),
    force: data.force === true,
  };
}
