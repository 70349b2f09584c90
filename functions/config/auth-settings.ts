/**
 * Who may call each function, from the environment (the variables are declared in environment.ts).
 *
 * AUTH_MODE is `required` unless set to `off`, so a forgotten setting never leaves production open;
 * the local stack sets `off`. In `required` mode each function needs its own settings: what is missing
 * is a problem that names the variables to set, reported by the function that needs them (a function
 * is deployed with its own variables only, like the queue settings).
 */
import { type AllowList, type CallerRequirement, NOBODY } from '../core/callers.js';

/** Settings of a function that accepts one service account: the tick, the worker. */
export interface GuardSettings {
  /** The ID token's accepted audiences: the function's own URL. */
  audiences: string[];
  requirement: CallerRequirement;
}

/** Settings of deploymentStatus: mutating routes (and every route when private) need an allowed principal. */
export interface StatusAuthSettings {
  audiences: string[];
  allowList: AllowList;
  /** STATUS_PRIVATE: the page and the JSON reads need an allowed principal too. */
  isPrivate: boolean;
}

type OrProblem<T> = T | { problem: string };

/** The checks each function makes of its callers; `off` makes none (local runs). */
export type AuthSettings =
  | { mode: 'off' }
  | {
      mode: 'required';
      schedulerTick: OrProblem<GuardSettings>;
      deployWorker: OrProblem<GuardSettings>;
      deploymentStatus: OrProblem<StatusAuthSettings>;
    };

/** The parsed variables auth reads. */
export interface AuthEnvironment {
  AUTH_MODE?: 'required' | 'off';
  SCHEDULER_SERVICE_ACCOUNT?: string;
  SCHEDULER_TICK_URL?: string;
  TASKS_SERVICE_ACCOUNT?: string;
  DEPLOY_WORKER_URL?: string;
  STATUS_URL?: string;
  ALLOWED_PRINCIPALS?: AllowList;
  STATUS_PRIVATE?: 'true' | 'false';
  STATUS_EXTRA_AUDIENCES?: string[];
}

const FIX = 'set them, or AUTH_MODE=off for a local run';

/** `AUTH_MODE=required: <function> needs ...`, naming the variables of `needs` that `values` lacks. */
function missingProblem(
  functionName: string,
  needs: Record<string, string>,
  values: Record<string, unknown>,
): { problem: string } {
  const missing = Object.keys(needs).filter((name) => values[name] === undefined);
  const listed = missing.map((name) => `${name} (${needs[name]})`).join(', ');
  return { problem: `AUTH_MODE=required: ${functionName} needs ${listed}; ${FIX}` };
}

function schedulerTick(env: AuthEnvironment): OrProblem<GuardSettings> {
  const { SCHEDULER_SERVICE_ACCOUNT: email, SCHEDULER_TICK_URL: url } = env;
  if (email && url) {
    return { audiences: [url], requirement: { kind: 'service-account', email } };
  }
  return missingProblem(
    'schedulerTick',
    {
      SCHEDULER_SERVICE_ACCOUNT: 'the email of the account whose OIDC token Cloud Scheduler sends',
      SCHEDULER_TICK_URL: 'its own URL, the audience of that token',
    },
    { SCHEDULER_SERVICE_ACCOUNT: email, SCHEDULER_TICK_URL: url },
  );
}

function deployWorker(env: AuthEnvironment, queueId: string | null): OrProblem<GuardSettings> {
  const { TASKS_SERVICE_ACCOUNT: email, DEPLOY_WORKER_URL: url } = env;
  if (email && url && queueId) {
    return { audiences: [url], requirement: { kind: 'service-account', email, queueId } };
  }
  return missingProblem(
    'deployWorker',
    {
      TASKS_SERVICE_ACCOUNT: 'the email of the account whose OIDC token Cloud Tasks sends',
      TASKS_QUEUE: 'the queue whose tasks it accepts',
      DEPLOY_WORKER_URL: 'its own URL, the audience of that token',
    },
    { TASKS_SERVICE_ACCOUNT: email, TASKS_QUEUE: queueId ?? undefined, DEPLOY_WORKER_URL: url },
  );
}

function deploymentStatus(env: AuthEnvironment): OrProblem<StatusAuthSettings> {
  const isPrivate = env.STATUS_PRIVATE === 'true';
  const allowList = env.ALLOWED_PRINCIPALS ?? NOBODY;
  const url = env.STATUS_URL;
  if (!url) {
    return missingProblem(
      'deploymentStatus',
      { STATUS_URL: "its own URL, the audience of the callers' ID tokens" },
      { STATUS_URL: url },
    );
  }
  if (isPrivate && allowList.emails.length === 0 && allowList.domains.length === 0) {
    return {
      problem: `STATUS_PRIVATE=true: deploymentStatus needs ALLOWED_PRINCIPALS (emails or domain:<domain>, comma-separated), or nobody could read it; ${FIX}`,
    };
  }
  return { audiences: [url, ...(env.STATUS_EXTRA_AUDIENCES ?? [])], allowList, isPrivate };
}

/** The auth settings; `queueId` is the id of TASKS_QUEUE, or null when no queue is configured. */
export function authSettings(env: AuthEnvironment, queueId: string | null): AuthSettings {
  if (env.AUTH_MODE === 'off') return { mode: 'off' };
  return {
    mode: 'required',
    schedulerTick: schedulerTick(env),
    deployWorker: deployWorker(env, queueId),
    deploymentStatus: deploymentStatus(env),
  };
}
