/**
 * Leaves the Functions Framework's per-request `domain`.
 *
 * The framework runs every HTTP function inside a `domain` (`function_wrappers.js`, still so in
 * 5.0.5) so that an exception thrown from a callback of the request becomes that request's crash
 * response. While a domain is entered, Node's domain module follows every async resource the request
 * creates (an `init` hook on each promise, a destroy hook on each resource, an enter and exit per
 * callback): about a seventh of the functions' CPU under load, measured with `--cpu-prof` on the
 * bench (docs/benchmarks.md, "The webhook at 20 concurrent").
 *
 * Our handlers await everything they start and answer every error themselves; a handler whose
 * promise rejects is still answered by the framework (it catches the promise it is returned, with
 * or without the domain). What the domain alone would catch, an exception thrown from a callback
 * nobody awaits, reaches the framework's `uncaughtException` handler instead: the crash response
 * and a restart of the instance, logged. Node's documentation deprecates `domain` for this reason.
 */
import type { Domain } from 'node:domain';
import type { Request, Response } from '@google-cloud/functions-framework';

/** `handler`, run outside the domain the framework entered for the request (if any). */
export function outsideRequestDomain<R>(
  handler: (req: Request, res: Response) => R,
): (req: Request, res: Response) => R {
  return (req, res) => {
    // Entered by the framework just before it called us; nothing of ours was created in it yet.
    (process as { domain?: Domain | null }).domain?.exit();
    return handler(req, res);
  };
}
