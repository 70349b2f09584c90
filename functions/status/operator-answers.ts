/**
 * The operator API's answers in words and status codes: what a version action's `note` says, and the
 * status and JSON of a teardown's outcome. Pure.
 */
import { formatUtcTime } from '../core/describe.js';
import { leaseSummaryToJson } from '../core/lease-json.js';
import type { Planned, TeardownAnswer, VersionActionAnswer } from '../use-cases/operator-actions.js';

/** When the change takes effect, in words. */
function whenWords(planned: Planned): string {
  if (planned === true) return 'planned now';
  if (planned === false) return 'planning now failed: the next tick acts on it';
  return 'the next tick (or push) acts on it';
}

/** What a version action's answer says to people (`note`). */
export function versionNote(action: string, answer: Extract<VersionActionAnswer, { kind: 'done' }>): string {
  const { control, configPaused, changed } = answer;
  const isPaused = control.paused || configPaused;
  if (action === 'pause')
    return changed ? `paused; ${whenWords(answer.planned)}` : 'already paused: unchanged';
  if (action === 'resume') {
    if (configPaused) return 'still paused: the deployments file says `paused: true` for this version';
    return changed ? `resumed; ${whenWords(answer.planned)}` : 'not paused: unchanged';
  }
  const waits = isPaused ? '; the version is paused: the forced redeploy waits until it is resumed' : '';
  return `${changed ? `forced redeploy asked; ${whenWords(answer.planned)}` : 'a forced redeploy is already asked: unchanged'}${waits}`;
}

/** The status code and JSON of a teardown's answer (a body already checked). */
export function teardownResponse(
  answer: Exclude<TeardownAnswer, { kind: 'invalid' }>,
  now: Date,
): [number, Record<string, unknown>] {
  switch (answer.kind) {
    case 'unknown-instance':
      return [404, { error: `no instance '${answer.instance}'`, reason: 'unknown-instance' }];
    case 'unchanged': {
      const { instance, status } = answer.deployment;
      const error = status === 'deleted' ? 'already deleted' : 'already being torn down';
      return [200, { instance, status, changed: false, note: `${error}: unchanged` }];
    }
    case 'in-progress': {
      const { instance, status } = answer.deployment;
      const error = `instance '${instance}' is ${status}: its Job is at work; tear it down once it finished or failed`;
      return [409, { error, reason: 'in-progress', status }];
    }
    case 'leased': {
      const held = answer.leases.at(-1);
      const until = held ? ` by ${held.owner} until ${formatUtcTime(held.expiresAt, now)}` : '';
      const error = `instance '${answer.deployment.instance}' is leased${until}; {"force": true} tears it down anyway`;
      return [409, { error, reason: 'leased', leases: answer.leases.map(leaseSummaryToJson) }];
    }
    case 'requested': {
      const { deployment, request, changed, overriddenLeases, planned } = answer;
      return [
        202,
        {
          instance: deployment.instance,
          version: deployment.version,
          status: deployment.status,
          changed,
          request: {
            id: request.id,
            status: request.status,
            force: request.force === true,
            reason: request.reason,
          },
          overriddenLeases: overriddenLeases.map(leaseSummaryToJson),
          planned,
          note: changed
            ? `teardown requested; ${whenWords(planned)}`
            : 'a teardown is already requested: unchanged',
        },
      ];
    }
  }
}
