/**
 * Every route of the server, in the order they are tried. To serve something new, add a file
 * exporting a Route and list it here (and its kind in resources/index.ts, for discovery).
 */
import type { Route } from '../route.js';
import { allJobsRoute } from './all-jobs.js';
import { controlFaultsRoute } from './control-faults.js';
import { controlJobRoute } from './control-job.js';
import { controlRequestsRoute } from './control-requests.js';
import { controlResetRoute } from './control-reset.js';
import {
  coreApiRoute,
  coreResourcesRoute,
  groupListRoute,
  groupResourcesRoute,
  groupRoute,
  versionRoute,
} from './discovery.js';
import { eventsRoute } from './events.js';
import { jobRoute } from './job.js';
import { jobsRoute } from './jobs.js';
import { namespaceRoute } from './namespace.js';
import { podLogRoute, podRoute, podsRoute } from './pods.js';

/** The Kubernetes API: faults apply, requests are recorded. */
export const API_ROUTES: readonly Route[] = [
  versionRoute,
  coreApiRoute,
  coreResourcesRoute,
  groupListRoute,
  groupRoute,
  groupResourcesRoute,
  allJobsRoute,
  jobsRoute,
  jobRoute,
  podsRoute,
  podRoute,
  podLogRoute,
  eventsRoute,
  namespaceRoute,
];

/** The control API under /_control/: never faulted, never recorded. */
export const CONTROL_ROUTES: readonly Route[] = [
  controlJobRoute,
  controlFaultsRoute,
  controlResetRoute,
  controlRequestsRoute,
];

/** The prefix of control paths. */
export const CONTROL_PREFIX = '/_control/';
