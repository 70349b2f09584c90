/**
 * Validation of a Job on create, as the API server does it for the parts a Job needs: the name,
 * labels, annotation keys and the pod template (containers, images, restartPolicy). Every problem is
 * collected, so one 422 lists them all. Not the full schema.
 */
import {
  DNS1123_LABEL,
  DNS1123_LABEL_DETAIL,
  DNS1123_SUBDOMAIN,
  labelValueProblems,
  MAX_LABEL_LENGTH,
  qualifiedNameProblems,
  SUBDOMAIN_DETAIL,
} from './label-syntax.js';
import { StatusError } from './status-error.js';
import { isObject, type JsonObject, type StatusCause } from './types.js';

/** Job names become the `job-name` label of their pods, so they are capped like label values. */
export const MAX_JOB_NAME_LENGTH = 63;

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
    field,
  };
}

function requiredValue(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
    field,
  };
}

function labelCauses(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isObject(labels)) return [invalidValue(field, labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const problem of qualifiedNameProblems(key)) causes.push(invalidValue(field, key, problem));
    if (typeof value !== 'string') {
      causes.push(invalidValue(`${field}.${key}`, value, 'must be a string'));
      continue;
    }
    for (const problem of labelValueProblems(value)) causes.push(invalidValue(field, value, problem));
  }
  return causes;
}

function annotationCauses(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isObject(annotations)) return [invalidValue(field, annotations, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    for (const problem of qualifiedNameProblems(key.toLowerCase()))
      causes.push(invalidValue(field, key, problem));
    if (typeof value !== 'string') causes.push(invalidValue(`${field}.${key}`, value, 'must be a string'));
  }
  return causes;
}

function jobNameCauses(name: string): StatusCause[] {
  if (name === '') return [requiredValue('metadata.name', 'name or generateName is required')];
  const causes: StatusCause[] = [];
  if (name.length > MAX_JOB_NAME_LENGTH)
    causes.push(
      invalidValue('metadata.name', name, `must be no more than ${MAX_JOB_NAME_LENGTH} characters`),
    );
  if (!DNS1123_SUBDOMAIN.test(name)) causes.push(invalidValue('metadata.name', name, SUBDOMAIN_DETAIL));
  return causes;
}

function containerCauses(container: unknown, field: string): StatusCause[] {
  if (!isObject(container)) return [invalidValue(field, container, 'must be an object')];
  const causes: StatusCause[] = [];
  if (typeof container.name !== 'string' || container.name === '')
    causes.push(requiredValue(`${field}.name`));
  else if (!DNS1123_LABEL.test(container.name) || container.name.length > MAX_LABEL_LENGTH)
    causes.push(invalidValue(`${field}.name`, container.name, DNS1123_LABEL_DETAIL));
  if (typeof container.image !== 'string' || container.image.trim() === '')
    causes.push(requiredValue(`${field}.image`));
  return causes;
}

function podTemplateCauses(spec: JsonObject): StatusCause[] {
  const template = spec.template;
  if (!isObject(template)) return [requiredValue('spec.template')];
  const causes: StatusCause[] = [];
  const metadata = isObject(template.metadata) ? template.metadata : {};
  causes.push(...labelCauses(metadata.labels, 'spec.template.metadata.labels'));
  causes.push(...annotationCauses(metadata.annotations, 'spec.template.metadata.annotations'));
  const podSpec = template.spec;
  if (!isObject(podSpec)) return [...causes, requiredValue('spec.template.spec.containers')];
  const restartPolicy = podSpec.restartPolicy;
  if (restartPolicy === undefined || restartPolicy === '')
    causes.push(requiredValue('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== 'Never' && restartPolicy !== 'OnFailure')
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(restartPolicy)}: supported values: "OnFailure", "Never"`,
      field: 'spec.template.spec.restartPolicy',
    });
  for (const list of ['initContainers', 'containers'] as const) {
    const containers = podSpec[list];
    if (containers === undefined && list === 'initContainers') continue;
    if (!Array.isArray(containers) || (list === 'containers' && containers.length === 0)) {
      causes.push(requiredValue(`spec.template.spec.${list}`));
      continue;
    }
    containers.forEach((container: unknown, index) => {
      causes.push(...containerCauses(container, `spec.template.spec.${list}[${index}]`));
    });
  }
  return causes;
}

/** The 422 Invalid error for `causes`, worded like the API server: `Job.batch "x" is invalid: ...`. */
function invalidJob(name: string, causes: StatusCause[]): StatusError {
  const described = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const summary = described.length === 1 ? described[0] : `[${described.join(', ')}]`;
  return new StatusError(422, 'Invalid', `Job.batch ${JSON.stringify(name)} is invalid: ${summary}`, {
    name,
    group: 'batch',
    kind: 'Job',
    causes,
  });
}

/**
 * Throws a 422 Invalid `StatusError` listing every problem of a Job about to be created as `name`
 * (after generateName) with `metadata` and `spec`.
 */
export function validateJob(name: string, metadata: JsonObject, spec: JsonObject): void {
  const causes = [
    ...jobNameCauses(name),
    ...labelCauses(metadata.labels, 'metadata.labels'),
    ...annotationCauses(metadata.annotations, 'metadata.annotations'),
    ...podTemplateCauses(spec),
  ];
  if (causes.length > 0) throw invalidJob(name, causes);
}
