/** v1 Pods as served (the made-up pods of Jobs): discovery entry, fields, `kubectl get pods` columns. */
import { ageOf } from '../human-duration.js';
import { AGE_COLUMN, metadataFields, NAME_COLUMN, type ResourceType } from '../resource-type.js';
import type { KubePod } from './job-pods.js';

const WIDE = { type: 'string', format: '', priority: 1 } as const;

export const POD_TYPE: ResourceType<KubePod> = {
  group: '',
  version: 'v1',
  resource: {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  },
  selectableFields: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'],
  fieldsOf: (pod) => ({ ...metadataFields(pod), 'spec.nodeName': '', 'status.phase': pod.status.phase }),
  columns: [
    NAME_COLUMN,
    {
      name: 'Ready',
      type: 'string',
      format: '',
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      priority: 0,
    },
    {
      name: 'Status',
      type: 'string',
      format: '',
      description: 'The aggregate status of the containers in this pod.',
      priority: 0,
    },
    {
      name: 'Restarts',
      type: 'string',
      format: '',
      description:
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      priority: 0,
    },
    AGE_COLUMN,
    {
      ...WIDE,
      name: 'IP',
      description:
        'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    },
    {
      ...WIDE,
      name: 'Node',
      description: 'NodeName is a request to schedule this pod onto a specific node.',
    },
    {
      ...WIDE,
      name: 'Nominated Node',
      description: 'nominatedNodeName is set only when this pod preempts other pods on the node.',
    },
    {
      ...WIDE,
      name: 'Readiness Gates',
      description: 'If specified, all readiness gates will be evaluated for pod readiness.',
    },
  ],
  cellsOf: (pod, now) => {
    const statuses = pod.status.containerStatuses;
    const ready = statuses.filter((status) => status.ready === true).length;
    return [
      pod.metadata.name,
      `${ready}/${statuses.length}`,
      statusWord(pod),
      '0',
      ageOf(pod.metadata.creationTimestamp, now),
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ];
  },
};

/** The STATUS column: Running, or the terminated container's reason (Completed, Error). */
function statusWord(pod: KubePod): string {
  if (pod.status.phase === 'Running') return 'Running';
  return pod.status.phase === 'Succeeded' ? 'Completed' : 'Error';
}
