/**
 * The timeline, history and tick-health reads of a StatusReader, answering nothing: for fake readers in tests that
 * do not look at the timelines or the history page (spread it into the fake).
 */
import type { VersionHistory } from '../../functions/core/history.js';
import type { StatusReader } from '../../functions/core/ports.js';
import type { TimelineView } from '../../functions/core/timeline.js';

export const NO_TIMELINE: TimelineView = { deletedDeployments: [], leases: [], pushes: [] };

export const NO_HISTORY: VersionHistory = {
  deployments: [],
  hasMore: false,
  requests: [],
  commits: [],
  leases: [],
};

/** `readTimeline`, `readVersionHistory` and `readTickHealth` with nothing recorded (no tick yet). */
export const EMPTY_HISTORY_READS: Pick<
  StatusReader,
  'readTimeline' | 'readVersionHistory' | 'readTickHealth'
> = {
  readTimeline: async () => NO_TIMELINE,
  readVersionHistory: async () => NO_HISTORY,
  readTickHealth: async () => null,
};
