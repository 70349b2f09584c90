/**
 * Fault injection: API requests that fail on purpose, in the order they were queued.
 * Control endpoints are never affected (the server does not ask for them).
 */
import { KubeServerError } from './kube-server-error.js';
import { isObject } from './types.js';

/**
 * Makes API calls fail on purpose. The next `count` API requests (default 1) whose method matches
 * `method` (any when omitted) are answered with `status` (a `Status` body), after `delayMs` if given,
 * or have their connection dropped (`dropConnection`). `delayMs` alone delays and then serves normally.
 * Control endpoints are never affected.
 */
export interface FaultSpec {
  status?: number;
  count?: number;
  method?: string;
  delayMs?: number;
  dropConnection?: boolean;
  /** Overrides the `Status` message (default: "injected fault"). */
  message?: string;
}

interface PendingFault {
  spec: FaultSpec;
  remaining: number;
}

/** The queue of faults still to serve. */
export class FaultQueue {
  private faults: PendingFault[] = [];

  /** Validates and queues a fault; throws a KubeServerError that says what is wrong with it. */
  add(value: unknown): void {
    const spec = validateFault(value);
    this.faults.push({ spec: { ...spec }, remaining: spec.count ?? 1 });
  }

  /** The first fault for `method`, counted as served; null when none applies. */
  take(method: string): FaultSpec | null {
    const pending = this.faults.find(
      (fault) => fault.spec.method === undefined || fault.spec.method.toUpperCase() === method,
    );
    if (!pending) return null;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.faults = this.faults.filter((fault) => fault !== pending);
    return pending.spec;
  }

  /** The faults still queued, each with the count it has left. */
  pending(): FaultSpec[] {
    return this.faults.map((fault) => ({ ...fault.spec, count: fault.remaining }));
  }

  clear(): void {
    this.faults = [];
  }
}

/** One optional field of a fault: what a valid value is, and how the error words it. */
interface FieldRule {
  field: keyof FaultSpec;
  isValid(value: unknown): boolean;
  /** Completes "fault.<field> must be ...". */
  mustBe: string;
}

const isInteger = (value: unknown): value is number => Number.isInteger(value);

/** Checked in this order; the first bad field is the one reported. */
const FIELD_RULES: FieldRule[] = [
  {
    field: 'status',
    isValid: (value) => isInteger(value) && value >= 400 && value <= 599,
    mustBe: 'an HTTP error status (400-599)',
  },
  { field: 'count', isValid: (value) => isInteger(value) && value >= 1, mustBe: 'a whole number >= 1' },
  { field: 'method', isValid: (value) => typeof value === 'string', mustBe: 'an HTTP method like "POST"' },
  {
    field: 'delayMs',
    isValid: (value) => typeof value === 'number' && !(value < 0),
    mustBe: 'a number >= 0',
  },
  { field: 'dropConnection', isValid: (value) => typeof value === 'boolean', mustBe: 'true or false' },
  { field: 'message', isValid: (value) => typeof value === 'string', mustBe: 'a string' },
];

function validateFault(value: unknown): FaultSpec {
  if (!isObject(value))
    throw new KubeServerError('A fault must be an object like {"status": 500, "count": 2}.');
  for (const { field, isValid, mustBe } of FIELD_RULES) {
    const fieldValue = value[field];
    if (fieldValue !== undefined && !isValid(fieldValue))
      throw new KubeServerError(`fault.${field} must be ${mustBe}, got ${JSON.stringify(fieldValue)}.`);
  }
  if (value.status === undefined && value.delayMs === undefined && value.dropConnection !== true)
    throw new KubeServerError('A fault needs at least one of status, delayMs or dropConnection: true.');
  return value as FaultSpec;
}
