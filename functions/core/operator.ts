/**
 * What operators ask of the system (the operator API, functions/status/operator-routes.ts) and what it
 * changes: pause, resume and force-redeploy a version (the same fields operators edit in the Firestore
 * console: `versions/{name}.paused`, `pausedReason`, `forceRedeploy`), the global drain (`control/drain`),
 * and a teardown of one instance now. Each change is recorded as an {@link OperatorEvent} in the history
 * of the version it concerns. Pure: what the store read, who asked and `now` in; the writes as data out.
 * An action that changes nothing (pausing a paused version) writes nothing and records nothing.
 */

/** What an operator may ask. */
export type OperatorAction = 'pause' | 'resume' | 'redeploy' | 'teardown' | 'drain' | 'undrain';

/**
 * Who asked and why. `by` is the verified caller's email (null when the route checked nobody: the
 * local stack, AUTH_MODE=off); `claimedBy` is who the body says asked: never verified, kept apart.
 */
export interface OperatorAsk {
  by: string | null;
  claimedBy: string | null;
  reason: string | null;
}

/** One operator action, as recorded in `versions/{version}/events/{eventId}` (the version's history). */
export interface OperatorEvent {
  /** `<at ISO>-<action>` (`-<instance>` for a teardown): the document id, sorted by time. */
  eventId: string;
  version: string;
  action: OperatorAction;
  at: Date;
  by: string | null;
  claimedBy: string | null;
  reason: string | null;
  /** teardown: the instance, the request that carries it, and whether live leases were overridden. */
  instance: string | null;
  requestId: string | null;
  force: boolean;
}

/** The operator fields of `versions/{name}`. */
export interface VersionControl {
  paused: boolean;
  /** Free text; `''` when not paused. */
  pausedReason: string;
  /** Who paused it, in words (see {@link askerWords}); null when unknown (paused in the console). */
  pausedBy: string | null;
  pausedAt: Date | null;
  forceRedeploy: boolean;
}

/** The operator fields of a version nobody switched: not paused, no force. */
export const NO_CONTROL: VersionControl = {
  paused: false,
  pausedReason: '',
  pausedBy: null,
  pausedAt: null,
  forceRedeploy: false,
};

/** The global drain, `control/drain`: while `drained`, no version deploys (GC goes on, as for a pause). */
export interface DrainState {
  drained: boolean;
  /** Why it was last drained or undrained. */
  reason: string;
  by: string | null;
  claimedBy: string | null;
  /** When it last changed; null when it never did. */
  at: Date | null;
}

/** The drain when `control/drain` does not exist: off. */
export const NO_DRAIN: DrainState = { drained: false, reason: '', by: null, claimedBy: null, at: null };

/** An action's outcome: `changed` false when it was already so; `patch` and `events` are what to write. */
export interface OperatorChange<P> {
  changed: boolean;
  patch: P | null;
  events: OperatorEvent[];
}

/** Who asked, in words: the verified email, else `<claimed> (unverified)`, else null. */
export function askerWords(ask: Pick<OperatorAsk, 'by' | 'claimedBy'>): string | null {
  if (ask.by !== null) return ask.by;
  return ask.claimedBy === null ? null : `${ask.claimedBy} (unverified)`;
}

/** The event id: the time first, so ids sort like the events; the instance keeps two teardowns apart. */
export function eventIdFor(at: Date, action: OperatorAction, instance: string | null = null): string {
  return `${at.toISOString()}-${action}${instance === null ? '' : `-${instance}`}`;
}

/** An event of `action` on `version`, asked by `ask` at `now`. */
export function operatorEvent(
  version: string,
  action: OperatorAction,
  ask: OperatorAsk,
  now: Date,
  teardown: { instance: string; requestId: string; force: boolean } | null = null,
): OperatorEvent {
  return {
    eventId: eventIdFor(now, action, teardown?.instance ?? null),
    version,
    action,
    at: now,
    by: ask.by,
    claimedBy: ask.claimedBy,
    reason: ask.reason,
    instance: teardown?.instance ?? null,
    requestId: teardown?.requestId ?? null,
    force: teardown?.force ?? false,
  };
}

const unchanged = <P>(): OperatorChange<P> => ({ changed: false, patch: null, events: [] });

/**
 * pause: `paused` with the reason, who and when; resume: not paused (reason, who and when cleared);
 * redeploy: `forceRedeploy` (the planner uses it once, even over the rate limit; a paused or drained
 * version stays paused until resumed). Already so: unchanged.
 */
export function decideVersionAction(
  action: 'pause' | 'resume' | 'redeploy',
  version: string,
  control: VersionControl,
  ask: OperatorAsk,
  now: Date,
): OperatorChange<Partial<VersionControl>> {
  const events = [operatorEvent(version, action, ask, now)];
  switch (action) {
    case 'pause': {
      if (control.paused) return unchanged();
      const patch = {
        paused: true,
        pausedReason: ask.reason ?? '',
        pausedBy: askerWords(ask),
        pausedAt: now,
      };
      return { changed: true, patch, events };
    }
    case 'resume': {
      if (!control.paused) return unchanged();
      return {
        changed: true,
        patch: { paused: false, pausedReason: '', pausedBy: null, pausedAt: null },
        events,
      };
    }
    case 'redeploy':
      if (control.forceRedeploy) return unchanged();
      return { changed: true, patch: { forceRedeploy: true }, events };
  }
}

/**
 * drain: on, with the reason, who and when (one event in each configured version's history); undrain:
 * off. Each version's own `paused` is left alone, so an undrain restores exactly what was paused before.
 */
export function decideDrain(
  action: 'drain' | 'undrain',
  current: DrainState,
  versions: readonly string[],
  ask: OperatorAsk,
  now: Date,
): OperatorChange<DrainState> {
  const drained = action === 'drain';
  if (current.drained === drained) return unchanged();
  return {
    changed: true,
    patch: { drained, reason: ask.reason ?? '', by: ask.by, claimedBy: ask.claimedBy, at: now },
    events: versions.map((version) => operatorEvent(version, action, ask, now)),
  };
}

/** An event in the API's JSON (and the history page's): dates as ISO strings. */
export type OperatorEventJson = Omit<OperatorEvent, 'at'> & { at: string };

export function operatorEventToJson(event: OperatorEvent): OperatorEventJson {
  return { ...event, at: event.at.toISOString() };
}
