/**
 * The operator API's request bodies, checked as strictly as the lease API's (core/lease-body.ts): an
 * unknown field is a problem that names it, every problem is reported with its field. Pure.
 *
 * - pause, drain: `{"reason", "by"?}` (a reason is required: the next person needs it);
 * - resume, redeploy, undrain: `{"reason"?, "by"?}`, `{}` or no body;
 * - teardown: `{"reason"?, "force"?, "by"?}`, `{}` or no body.
 *
 * `by` is who the caller says asked, recorded apart from the verified caller and marked unverified
 * (core/operator.ts `OperatorAsk.claimedBy`): useful on the local stack, where nobody is verified.
 */
import {
  type FieldError,
  isPlainObject,
  notAnObject,
  type Parsed,
  text,
  unknownFields,
} from './lease-body.js';
import type { OperatorAsk } from './operator.js';
import type { TeardownAsk } from './operator-teardown.js';

/** Longest `reason` accepted. */
export const MAX_REASON_LENGTH = 500;

/** Longest `by` accepted. */
export const MAX_BY_LENGTH = 200;

/** What a body says: the reason and who (unverified) asked. */
export type AskBody = Pick<OperatorAsk, 'reason' | 'claimedBy'>;

/** The fields each kind of body takes, and whether `reason` is required. */
const SHAPES = {
  'reason-required': { fields: ['reason', 'by'], isReasonRequired: true },
  'reason-optional': { fields: ['reason', 'by'], isReasonRequired: false },
  teardown: { fields: ['reason', 'force', 'by'], isReasonRequired: false },
} as const;

type Shape = keyof typeof SHAPES;

function parseFields(body: unknown, shape: Shape): Parsed<AskBody & { force: boolean }> {
  const { fields, isReasonRequired } = SHAPES[shape];
  const given = body === undefined && !isReasonRequired ? {} : body;
  if (!isPlainObject(given)) return notAnObject();
  const errors: FieldError[] = unknownFields(given, fields);
  const reason = text(given, 'reason', MAX_REASON_LENGTH, errors, isReasonRequired);
  const claimedBy = text(given, 'by', MAX_BY_LENGTH, errors, false);
  const force = given.force;
  if (force !== undefined && typeof force !== 'boolean') {
    errors.push({ field: 'force', message: 'must be true or false' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { reason, claimedBy, force: force === true } };
}

/** A pause or drain body: `{reason, by?}`. */
export function parseReasonRequired(body: unknown): Parsed<AskBody> {
  return withoutForce(parseFields(body, 'reason-required'));
}

/** A resume, redeploy or undrain body: none, `{}`, or `{reason?, by?}`. */
export function parseReasonOptional(body: unknown): Parsed<AskBody> {
  return withoutForce(parseFields(body, 'reason-optional'));
}

/** A teardown body: none, `{}`, or `{reason?, force?, by?}`. */
export function parseTeardownBody(body: unknown): Parsed<Omit<TeardownAsk, 'by'>> {
  return parseFields(body, 'teardown');
}

function withoutForce(parsed: Parsed<AskBody & { force: boolean }>): Parsed<AskBody> {
  if (!parsed.ok) return parsed;
  const { reason, claimedBy } = parsed.value;
  return { ok: true, value: { reason, claimedBy } };
}
