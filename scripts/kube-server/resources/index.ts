/** Every kind the server serves; discovery lists exactly these. Add a kind here and its routes in handlers/. */
import type { KubeObject, ResourceType } from '../resource-type.js';
import { EVENT_TYPE } from './event-type.js';
import { JOB_TYPE } from './job-type.js';
import { POD_TYPE } from './pod-type.js';

/** What discovery needs of a kind. */
export type DiscoveredType = Pick<ResourceType<KubeObject>, 'group' | 'version' | 'resource'>;

export const SERVED_TYPES: readonly DiscoveredType[] = [JOB_TYPE, POD_TYPE, EVENT_TYPE];
