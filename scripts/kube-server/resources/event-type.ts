/** v1 Events as served (the made-up events of Jobs): discovery entry, fields, `kubectl get events` columns. */
import { ageOf } from '../human-duration.js';
import { metadataFields, type ResourceType } from '../resource-type.js';
import type { KubeEvent } from './job-events.js';

const INVOLVED_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion'] as const;

export const EVENT_TYPE: ResourceType<KubeEvent> = {
  group: '',
  version: 'v1',
  resource: {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['ev'],
  },
  // What `kubectl describe` selects events by, and a few more a real server allows.
  selectableFields: [
    'metadata.name',
    'metadata.namespace',
    ...INVOLVED_FIELDS.map((field) => `involvedObject.${field}`),
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  fieldsOf: (event) => ({
    ...metadataFields(event),
    ...Object.fromEntries(
      INVOLVED_FIELDS.map((field) => [`involvedObject.${field}`, event.involvedObject[field]]),
    ),
    'involvedObject.fieldPath': '',
    reason: event.reason,
    reportingComponent: event.reportingComponent,
    source: event.source.component,
    type: event.type,
  }),
  columns: [
    {
      name: 'Last Seen',
      type: 'string',
      format: '',
      description: 'Time when this event was last seen.',
      priority: 0,
    },
    {
      name: 'Type',
      type: 'string',
      format: '',
      description: 'Type of this event (Normal, Warning).',
      priority: 0,
    },
    {
      name: 'Reason',
      type: 'string',
      format: '',
      description: 'A short, machine understandable string that gives the reason for this event.',
      priority: 0,
    },
    {
      name: 'Object',
      type: 'string',
      format: '',
      description: 'The object that this event is about.',
      priority: 0,
    },
    {
      name: 'Message',
      type: 'string',
      format: '',
      description: 'A human-readable description of the status of this operation.',
      priority: 0,
    },
  ],
  cellsOf: (event, now) => [
    ageOf(event.lastTimestamp, now),
    event.type,
    event.reason,
    `job/${event.involvedObject.name}`,
    event.message,
  ],
};
