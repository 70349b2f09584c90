/**
 * The caller checks of each function, from the auth settings: a Guard for the tick and the worker,
 * an Admit with its access rules for deploymentStatus; nothing when AUTH_MODE=off. A function whose
 * settings are missing fails with a ConfigError naming them, as its other settings do.
 */
import { type Admit, createAdmit, createGuard, type Guard } from './caller-check.js';
import type { AuthSettings } from './config/auth-settings.js';
import { ConfigError } from './config.js';
import type { StatusAccess } from './core/callers.js';
import type { IdTokenVerifier } from './core/ports.js';
import type { Logger } from './log.js';

function settingsOf<T extends object>(settings: T | { problem: string }): T {
  if ('problem' in settings) throw new ConfigError(settings.problem, [settings.problem]);
  return settings;
}

/** Builds each function's check on demand; `verifier` is called only when one is needed. */
export function callerChecks(auth: AuthSettings, verifier: () => IdTokenVerifier) {
  return {
    /** The tick's or the worker's Guard: only its service account (and the worker's queue). */
    guard(name: 'schedulerTick' | 'deployWorker', logger: Logger): Guard | undefined {
      if (auth.mode === 'off') return undefined;
      const settings = settingsOf(auth[name]);
      return createGuard(createAdmit(verifier(), settings.audiences, logger), settings.requirement);
    },
    /** deploymentStatus' check, per route. */
    status(logger: Logger): { admit: Admit; access: StatusAccess } | undefined {
      if (auth.mode === 'off') return undefined;
      const settings = settingsOf(auth.deploymentStatus);
      return {
        admit: createAdmit(verifier(), settings.audiences, logger),
        access: { allowList: settings.allowList, isPrivate: settings.isPrivate },
      };
    },
  };
}
