/** batch/v1 Jobs as served: discovery entry, selectable fields and `kubectl get jobs` columns. */
import { ageOf, humanDuration } from '../human-duration.js';
import { AGE_COLUMN, metadataFields, NAME_COLUMN, type ResourceType } from '../resource-type.js';
import { isObject, type KubeJob } from '../types.js';

export const JOB_TYPE: ResourceType<KubeJob> = {
  group: 'batch',
  version: 'v1',
  resource: {
    name: 'jobs',
    singularName: 'job',
    namespaced: true,
    kind: 'Job',
    verbs: ['create', 'delete', 'get', 'list', 'watch'],
    categories: ['all'],
  },
  selectableFields: ['metadata.name', 'metadata.namespace', 'status.successful'],
  fieldsOf: (job) => ({ ...metadataFields(job), 'status.successful': String(job.status.succeeded ?? 0) }),
  // The columns of the API server's printer for Jobs (pkg/printers/internalversion).
  columns: [
    NAME_COLUMN,
    { name: 'Status', type: 'string', format: '', description: 'Status of the job.', priority: 0 },
    {
      name: 'Completions',
      type: 'string',
      format: '',
      description: 'The number of pods which reached phase Succeeded.',
      priority: 0,
    },
    {
      name: 'Duration',
      type: 'string',
      format: '',
      description: 'Time required to complete the job.',
      priority: 0,
    },
    AGE_COLUMN,
    {
      name: 'Containers',
      type: 'string',
      format: '',
      description: 'Names of each container in the template.',
      priority: 1,
    },
    {
      name: 'Images',
      type: 'string',
      format: '',
      description: 'Images referenced by each container in the template.',
      priority: 1,
    },
    {
      name: 'Selector',
      type: 'string',
      format: '',
      description: 'A label query over pods that should match the pod count.',
      priority: 1,
    },
  ],
  cellsOf: (job, now) => {
    const containers = containersOf(job);
    return [
      job.metadata.name,
      jobStatusWord(job),
      completionsOf(job),
      durationOf(job, now),
      ageOf(job.metadata.creationTimestamp, now),
      containers.map((container) => container.name).join(','),
      containers.map((container) => container.image).join(','),
      selectorOf(job),
    ];
  },
};

/** The STATUS column: Complete, Failed, Suspended or Running. */
export function jobStatusWord(job: KubeJob): string {
  const has = (type: string) =>
    (job.status.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (job.spec.suspend === true || has('Suspended')) return 'Suspended';
  return 'Running';
}

/** The containers of the Job's pod template. */
export function containersOf(job: KubeJob): Array<{ name: string; image: string }> {
  const template = isObject(job.spec.template) ? job.spec.template : {};
  const spec = isObject(template.spec) ? template.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return containers.filter(isObject).map((container) => ({
    name: String(container.name ?? ''),
    image: String(container.image ?? ''),
  }));
}

function completionsOf(job: KubeJob): string {
  const succeeded = job.status.succeeded ?? 0;
  if (typeof job.spec.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = typeof job.spec.parallelism === 'number' ? job.spec.parallelism : 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationOf(job: KubeJob, now: Date): string {
  const { startTime, completionTime } = job.status;
  if (startTime === undefined) return '';
  const end = completionTime === undefined ? now.getTime() : Date.parse(completionTime);
  return humanDuration(end - Date.parse(startTime));
}

function selectorOf(job: KubeJob): string {
  const selector = isObject(job.spec.selector) ? job.spec.selector : {};
  const labels = isObject(selector.matchLabels) ? selector.matchLabels : {};
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(',');
}
