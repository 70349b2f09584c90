/**
 * The caller check of an HTTP request: the Authorization bearer ID token, verified (IdTokenVerifier),
 * then the core's decision (core/callers.ts). An Admit answers a refused request itself (401 or
 * 403 JSON, or 503 when Google's keys cannot be fetched) before anything is read or written.
 * Without an Admit (AUTH_MODE=off) a handler checks nothing.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import {
  type AccessDecision,
  bearerToken,
  type Caller,
  type CallerRequirement,
  decideAccess,
  type TokenCheck,
} from './core/callers.js';
import type { IdTokenVerifier } from './core/ports.js';
import { describeError, type Logger } from './log.js';

/** Decides whether a request may go on, and who its caller is. */
export type Authorize = (req: Request, requirement: CallerRequirement) => Promise<AccessDecision>;

/** An Authorize that verifies tokens for `audiences` (the function's own URL). */
export function createAuthorizer(verifier: IdTokenVerifier, audiences: readonly string[]): Authorize {
  return async (req, requirement) => {
    // A function open to anyone verifies nothing (and fetches no keys).
    if (requirement.kind === 'anyone') return decideAccess(requirement, { kind: 'missing' });
    const token = bearerToken(req.get('Authorization'));
    const check: TokenCheck =
      token === null
        ? { kind: 'missing' }
        : token === 'malformed'
          ? { kind: 'invalid', reason: 'the Authorization header is not Bearer <JWT>' }
          : await verifier.verify(token, audiences);
    return decideAccess(requirement, check, req.get('X-CloudTasks-QueueName'));
  };
}

/**
 * Checks a request against a requirement; when refused, answers it and resolves null, else resolves the
 * verified caller (null when the requirement asks for none).
 */
export type Admit = (
  req: Request,
  res: Response,
  requirement: CallerRequirement,
) => Promise<{ caller: Caller | null } | null>;

/** Checks one fixed requirement (the tick's, the worker's): true when the request may go on. */
export type Guard = (req: Request, res: Response) => Promise<boolean>;

/** The Admit of a function whose tokens have `audiences` (its own URL). */
export function createAdmit(verifier: IdTokenVerifier, audiences: readonly string[], logger: Logger): Admit {
  const authorize = createAuthorizer(verifier, audiences);
  return async (req, res, requirement) => {
    let decision: AccessDecision;
    try {
      decision = await authorize(req, requirement);
    } catch (err) {
      logger.error('could not verify the caller (Google signing keys unavailable?)', describeError(err));
      res
        .status(503)
        .set('Cache-Control', 'no-store')
        .json({ error: 'cannot verify the caller now; retry', reason: 'caller-check-unavailable' });
      return null;
    }
    if (decision.kind === 'allow') return { caller: decision.caller };
    logger.warn('caller refused', { status: decision.status, reason: decision.reason, path: req.path });
    if (decision.status === 401) res.set('WWW-Authenticate', 'Bearer');
    // `reason` is the machine-readable kind, as in the APIs' other errors; `error` says why in words.
    const reason = decision.status === 401 ? 'unauthenticated' : 'forbidden';
    res.status(decision.status).set('Cache-Control', 'no-store').json({ error: decision.reason, reason });
    return null;
  };
}

/** A Guard of `requirement`. */
export function createGuard(admit: Admit, requirement: CallerRequirement): Guard {
  return async (req, res) => (await admit(req, res, requirement)) !== null;
}
