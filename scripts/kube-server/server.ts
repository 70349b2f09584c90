/**
 * A local Kubernetes API server for batch/v1 Jobs, over plain HTTP, for development and tests
 * (no real kube-apiserver can run here). It speaks the wire protocol the real
 * `@kubernetes/client-node` uses: bearer-token auth, Job create (with `generateName`) / get /
 * list (with label selectors) / delete, and errors as `Status` objects with the reasons and codes
 * a real API server returns (401 Unauthorized, 404 NotFound, 409 AlreadyExists, 422 Invalid, ...).
 *
 * Nothing runs the Jobs: tests drive their status through the control API
 * (`POST /_control/namespaces/NS/jobs/NAME/complete|fail|start`, or `completeJob()` / `failJob()`
 * in-process) and make API calls fail on purpose with fault injection
 * (`POST /_control/faults {status, count, method?}`, or `injectFaults()`).
 *
 * Deliberate gaps: namespaces always exist, there are no pods, no watch, no field selectors, no
 * paging (`limit` / `continue`), and validation covers names, labels, annotation keys and the parts
 * of the pod template a Job needs (containers, images, restartPolicy), not the full schema.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify as stringifyYaml } from 'yaml';

type JsonObject = Record<string, unknown>;

/** A `metav1.Status` as the API server sends it. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: JsonObject;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** A Job as stored and served (JSON, as on the wire). */
export interface KubeJob {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    generation: number;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: JsonObject;
  status: KubeJobStatus;
}

export interface KubeJobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export interface KubeJobStatus {
  conditions?: KubeJobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
}

/**
 * Makes API calls fail on purpose. The next `count` API requests (default 1) whose method matches
 * `method` (any when omitted) are answered with `status` (a `Status` body), after `delayMs` if given,
 * or have their connection dropped (`dropConnection`). `delayMs` alone delays and then serves normally.
 * Control endpoints are never affected.
 */
export interface FaultSpec {
  status?: number;
  count?: number;
  method?: string;
  delayMs?: number;
  dropConnection?: boolean;
  /** Overrides the `Status` message (default: "injected fault"). */
  message?: string;
}

/** One API request as the server saw it (control endpoints excluded). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** True when an injected fault answered it. */
  isFault: boolean;
}

export interface KubeServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The bearer token every request must carry. Default: random. */
  token?: string;
  /** Receives one object per notable event (start, stop, request); default: silent. */
  log?: (entry: JsonObject) => void;
  /** The clock for timestamps. */
  now?: () => Date;
}

export interface KubeServer {
  /** `http://host:port`, the cluster `server` of a kubeconfig. */
  url: string;
  host: string;
  port: number;
  token: string;
  stop(): Promise<void>;
  /** Copies of the Jobs of `namespace` (every namespace when omitted), oldest first. */
  jobs(namespace?: string): KubeJob[];
  /** A copy of one Job, or null. */
  getJob(namespace: string, name: string): KubeJob | null;
  /** Marks the Job started (startTime, active: 1). */
  startJob(namespace: string, name: string): KubeJob;
  /** Marks the Job complete: condition Complete "True", completionTime, succeeded: 1. */
  completeJob(namespace: string, name: string): KubeJob;
  /** Marks the Job failed: condition Failed "True" with `reason` and `message`, failed: backoffLimit + 1. */
  failJob(namespace: string, name: string, message?: string, reason?: string): KubeJob;
  /** Queues a fault; see FaultSpec. */
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  /** Deletes every Job and fault and forgets the request log. */
  reset(): void;
  /** The API requests served so far (the last 1000). */
  requests(): RecordedRequest[];
}

/** Thrown by in-process control calls on a missing Job or a bad fault. */
export class KubeServerError extends Error {
  override name = 'KubeServerError';
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_RECORDED_REQUESTS = 1000;
/** Job names become the `job-name` label of their pods, so they are capped like label values. */
const MAX_JOB_NAME_LENGTH = 63;
const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** The characters Kubernetes' name generator uses (no vowels, no look-alikes). */
const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_DETAIL =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_DETAIL =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_DETAIL =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'Timeout',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An error answered as a `Status` object. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatus['details'],
  ) {
    super(message);
  }
}

function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 3339 with seconds, as Kubernetes serializes metav1.Time. */
function kubeTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

/** Problems with a qualified name (label or annotation key), in Kubernetes' words. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const problems: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else {
      if (prefix.length > MAX_SUBDOMAIN_LENGTH)
        problems.push(`prefix part must be no more than ${MAX_SUBDOMAIN_LENGTH} characters`);
      if (!DNS1123_SUBDOMAIN.test(prefix)) problems.push(`prefix part ${SUBDOMAIN_DETAIL}`);
    }
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else {
    if (name.length > MAX_LABEL_LENGTH)
      problems.push(`name part must be no more than ${MAX_LABEL_LENGTH} characters`);
    if (!QUALIFIED_NAME_PART.test(name)) problems.push(QUALIFIED_NAME_DETAIL);
  }
  return problems;
}

/** Problems with a label value, in Kubernetes' words. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > MAX_LABEL_LENGTH) problems.push(`must be no more than ${MAX_LABEL_LENGTH} characters`);
  if (!LABEL_VALUE.test(value)) problems.push(LABEL_VALUE_DETAIL);
  return problems;
}

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
  const causes: StatusCause[] = [];
  if (name.length > MAX_JOB_NAME_LENGTH)
    causes.push(
      invalidValue('metadata.name', name, `must be no more than ${MAX_JOB_NAME_LENGTH} characters`),
    );
  if (!DNS1123_SUBDOMAIN.test(name)) causes.push(invalidValue('metadata.name', name, SUBDOMAIN_DETAIL));
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
      const field = `spec.template.spec.${list}[${index}]`;
      if (!isObject(container)) {
        causes.push(invalidValue(field, container, 'must be an object'));
        return;
      }
      if (typeof container.name !== 'string' || container.name === '')
        causes.push(requiredValue(`${field}.name`));
      else if (!DNS1123_LABEL.test(container.name) || container.name.length > MAX_LABEL_LENGTH)
        causes.push(
          invalidValue(
            `${field}.name`,
            container.name,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          ),
        );
      if (typeof container.image !== 'string' || container.image.trim() === '')
        causes.push(requiredValue(`${field}.image`));
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

// ---------------------------------------------------------------------------------------------------------
// Label selectors (the grammar of k8s.io/apimachinery/pkg/labels)

export type SelectorRequirement =
  | { key: string; operator: 'exists' | 'doesNotExist' }
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] }
  | { key: string; operator: 'gt' | 'lt'; value: number };

/** A label selector that does not parse. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

const SELECTOR_SYMBOLS = ['!=', '==', '!', '=', '(', ')', ',', '>', '<'];

function tokenizeSelector(selector: string): string[] {
  const tokens: string[] = [];
  let index = 0;
  while (index < selector.length) {
    const char = selector[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const symbol = SELECTOR_SYMBOLS.find((candidate) => selector.startsWith(candidate, index));
    if (symbol) {
      tokens.push(symbol);
      index += symbol.length;
      continue;
    }
    let end = index;
    while (
      end < selector.length &&
      !/\s/.test(selector[end] as string) &&
      !SELECTOR_SYMBOLS.some((candidate) => selector.startsWith(candidate, end))
    )
      end++;
    tokens.push(selector.slice(index, end));
    index = end;
  }
  return tokens;
}

function isIdentifier(token: string | undefined): token is string {
  return token !== undefined && !SELECTOR_SYMBOLS.includes(token);
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),!h,i`); an empty selector selects everything. */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  const tokens = tokenizeSelector(selector);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const describe = (token: string | undefined) => (token === undefined ? '' : token);
  const fail = (detail: string): never => {
    throw new SelectorError(`unable to parse requirement: ${detail}`);
  };
  const checkKey = (key: string) => {
    const problems = qualifiedNameProblems(key);
    if (problems.length > 0) fail(`invalid label key "${key}": ${problems.join('; ')}`);
  };
  const checkValue = (value: string) => {
    const problems = labelValueProblems(value);
    if (problems.length > 0) fail(`invalid label value: "${value}": at key: ${problems.join('; ')}`);
  };

  const parseRequirement = (): SelectorRequirement => {
    if (peek() === '!') {
      next();
      const key = next();
      if (!isIdentifier(key)) return fail(`found '${describe(key)}', expected: identifier`);
      checkKey(key);
      return { key, operator: 'doesNotExist' };
    }
    const key = next();
    if (!isIdentifier(key))
      return fail(`found '${describe(key)}', expected: !, identifier, or 'end of string'`);
    checkKey(key);
    const operator = peek();
    if (operator === undefined || operator === ',') return { key, operator: 'exists' };
    next();
    if (operator === '=' || operator === '==' || operator === '!=') {
      const value = isIdentifier(peek()) ? (next() as string) : '';
      checkValue(value);
      return { key, operator: operator === '!=' ? 'notEquals' : 'equals', value };
    }
    if (operator === '>' || operator === '<') {
      const raw = next();
      const value = Number(raw);
      if (!isIdentifier(raw) || !/^-?\d+$/.test(raw))
        return fail(`for 'Gt', 'Lt' operators, the value must be an integer, got '${describe(raw)}'`);
      return { key, operator: operator === '>' ? 'gt' : 'lt', value };
    }
    if (operator === 'in' || operator === 'notin') {
      if (next() !== '(') return fail(`found '${describe(tokens[position - 1])}', expected: '('`);
      const values: string[] = [];
      let expectValue = true;
      for (;;) {
        const token = next();
        if (token === undefined) return fail("found '', expected: ',', ')' or identifier");
        if (token === ')') {
          if (expectValue && values.length > 0) values.push('');
          break;
        }
        if (token === ',') {
          if (expectValue) values.push('');
          expectValue = true;
          continue;
        }
        if (!isIdentifier(token) || !expectValue)
          return fail(`found '${token}', expected: ',', ')' or identifier`);
        values.push(token);
        expectValue = false;
      }
      if (values.length === 0) return fail("for 'in', 'notin' operators, values set can't be empty");
      values.forEach(checkValue);
      return { key, operator: operator === 'in' ? 'in' : 'notIn', values };
    }
    return fail(`found '${operator}', expected: in, notin, =, ==, !=, gt, lt`);
  };

  const requirements: SelectorRequirement[] = [];
  if (tokens.length === 0) return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const token = next();
    if (token === undefined) break;
    if (token !== ',') fail(`found '${token}', expected: ',' or 'end of string'`);
    if (peek() === undefined) fail("found '', expected: identifier after ','");
  }
  return requirements;
}

function matchesRequirement(
  labels: Record<string, string> | undefined,
  requirement: SelectorRequirement,
): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, requirement.key);
  const value = labels?.[requirement.key];
  switch (requirement.operator) {
    case 'exists':
      return has;
    case 'doesNotExist':
      return !has;
    case 'equals':
      return has && value === requirement.value;
    case 'notEquals':
      return !has || value !== requirement.value;
    case 'in':
      return has && requirement.values.includes(value as string);
    case 'notIn':
      return !has || !requirement.values.includes(value as string);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const number = Number(value);
      return requirement.operator === 'gt' ? number > requirement.value : number < requirement.value;
    }
  }
}

/** True when `labels` satisfy every requirement. */
export function matchesLabelSelector(
  labels: Record<string, string> | undefined,
  requirements: SelectorRequirement[],
): boolean {
  return requirements.every((requirement) => matchesRequirement(labels, requirement));
}

// ---------------------------------------------------------------------------------------------------------
// The store

interface PendingFault {
  spec: FaultSpec;
  remaining: number;
}

class JobStore {
  private readonly byNamespace = new Map<string, Map<string, KubeJob>>();
  private revision = 1000;

  constructor(private readonly now: () => Date) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  private bump(): string {
    this.revision += 1;
    return String(this.revision);
  }

  list(namespace?: string): KubeJob[] {
    const namespaces =
      namespace === undefined ? [...this.byNamespace.values()] : [this.byNamespace.get(namespace)];
    return namespaces.flatMap((jobs) => (jobs ? [...jobs.values()] : []));
  }

  get(namespace: string, name: string): KubeJob | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  require(namespace: string, name: string): KubeJob {
    const job = this.get(namespace, name);
    if (!job)
      throw new StatusError(404, 'NotFound', `jobs.batch ${JSON.stringify(name)} not found`, {
        name,
        group: 'batch',
        kind: 'jobs',
      });
    return job;
  }

  create(namespace: string, body: unknown): KubeJob {
    if (!isObject(body))
      throw new StatusError(400, 'BadRequest', 'the request body must be a JSON object (a Job)');
    if (body.apiVersion !== undefined && body.apiVersion !== 'batch/v1')
      throw new StatusError(
        400,
        'BadRequest',
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (batch/v1)`,
      );
    if (body.kind !== undefined && body.kind !== 'Job')
      throw new StatusError(
        400,
        'BadRequest',
        `the kind in the data (${String(body.kind)}) does not match the expected kind (Job)`,
      );
    const metadata = isObject(body.metadata) ? structuredClone(body.metadata) : {};
    if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace)
      throw new StatusError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    const spec = isObject(body.spec) ? structuredClone(body.spec) : {};

    let name = typeof metadata.name === 'string' ? metadata.name : '';
    const generateName = typeof metadata.generateName === 'string' ? metadata.generateName : '';
    if (name === '' && generateName !== '') {
      const base = generateName.slice(0, MAX_JOB_NAME_LENGTH - GENERATED_SUFFIX_LENGTH);
      do {
        let suffix = '';
        for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++)
          suffix += GENERATED_NAME_ALPHABET[randomInt(GENERATED_NAME_ALPHABET.length)];
        name = base + suffix;
      } while (this.get(namespace, name));
    }

    const causes: StatusCause[] = [];
    if (name === '') causes.push(requiredValue('metadata.name', 'name or generateName is required'));
    else causes.push(...jobNameCauses(name));
    causes.push(...labelCauses(metadata.labels, 'metadata.labels'));
    causes.push(...annotationCauses(metadata.annotations, 'metadata.annotations'));
    causes.push(...podTemplateCauses(spec));
    if (causes.length > 0) throw invalidJob(name, causes);

    if (this.get(namespace, name))
      throw new StatusError(409, 'AlreadyExists', `jobs.batch ${JSON.stringify(name)} already exists`, {
        name,
        group: 'batch',
        kind: 'jobs',
      });

    const uid = randomUUID();
    const template = spec.template as JsonObject;
    const templateMetadata = isObject(template.metadata) ? template.metadata : {};
    const controllerLabels = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    template.metadata = {
      ...templateMetadata,
      labels: { ...(isObject(templateMetadata.labels) ? templateMetadata.labels : {}), ...controllerLabels },
    };
    const job: KubeJob = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        ...metadata,
        name,
        namespace,
        uid,
        resourceVersion: this.bump(),
        creationTimestamp: kubeTime(this.now()),
        generation: 1,
      },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        ...spec,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        template,
      },
      status: {},
    };
    let jobs = this.byNamespace.get(namespace);
    if (!jobs) {
      jobs = new Map();
      this.byNamespace.set(namespace, jobs);
    }
    jobs.set(name, job);
    return job;
  }

  delete(namespace: string, name: string): KubeJob {
    const job = this.require(namespace, name);
    this.byNamespace.get(namespace)?.delete(name);
    this.bump();
    return job;
  }

  updateStatus(namespace: string, name: string, change: (job: KubeJob, now: string) => void): KubeJob {
    const job = this.require(namespace, name);
    change(job, kubeTime(this.now()));
    job.metadata.resourceVersion = this.bump();
    return job;
  }

  clear(): void {
    this.byNamespace.clear();
  }
}

function terminalCondition(type: 'Complete' | 'Failed', now: string, reason?: string, message?: string) {
  const condition: KubeJobCondition = {
    type,
    status: 'True',
    lastProbeTime: now,
    lastTransitionTime: now,
  };
  if (reason !== undefined) condition.reason = reason;
  if (message !== undefined) condition.message = message;
  return condition;
}

function isFinished(job: KubeJob): boolean {
  return (job.status.conditions ?? []).some(
    (condition) =>
      (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
  );
}

function validateFault(value: unknown): FaultSpec {
  if (!isObject(value))
    throw new KubeServerError('A fault must be an object like {"status": 500, "count": 2}.');
  const { status, count, method, delayMs, dropConnection, message } = value;
  if (
    status !== undefined &&
    (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599)
  )
    throw new KubeServerError(
      `fault.status must be an HTTP error status (400-599), got ${JSON.stringify(status)}.`,
    );
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1))
    throw new KubeServerError(`fault.count must be a whole number >= 1, got ${JSON.stringify(count)}.`);
  if (method !== undefined && typeof method !== 'string')
    throw new KubeServerError(
      `fault.method must be an HTTP method like "POST", got ${JSON.stringify(method)}.`,
    );
  if (delayMs !== undefined && (typeof delayMs !== 'number' || delayMs < 0))
    throw new KubeServerError(`fault.delayMs must be a number >= 0, got ${JSON.stringify(delayMs)}.`);
  if (dropConnection !== undefined && typeof dropConnection !== 'boolean')
    throw new KubeServerError(
      `fault.dropConnection must be true or false, got ${JSON.stringify(dropConnection)}.`,
    );
  if (message !== undefined && typeof message !== 'string')
    throw new KubeServerError(`fault.message must be a string, got ${JSON.stringify(message)}.`);
  if (status === undefined && delayMs === undefined && dropConnection !== true)
    throw new KubeServerError('A fault needs at least one of status, delayMs or dropConnection: true.');
  return value as FaultSpec;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

const JOBS_PATH = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?\/?$/;
const ALL_JOBS_PATH = /^\/apis\/batch\/v1\/jobs\/?$/;
const CONTROL_JOB_PATH = /^\/_control\/namespaces\/([^/]+)\/jobs\/([^/]+)\/(complete|fail|start)\/?$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new StatusError(413, 'RequestEntityTooLarge', 'the request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StatusError(
      400,
      'BadRequest',
      `couldn't decode the request body as JSON: ${(error as Error).message}`,
    );
  }
}

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Starts the server on `host:port` (127.0.0.1 and a free port by default).
 * Point a kubeconfig at `url` with `token` (see `kubeConfigForLocalServer` in functions/adapters/kube-jobs.ts);
 * call `stop()` when done.
 */
export async function startKubeServer(options: KubeServerOptions = {}): Promise<KubeServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(16).toString('hex');
  const log = options.log ?? (() => {});
  const store = new JobStore(options.now ?? (() => new Date()));
  let faults: PendingFault[] = [];
  let recorded: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const takeFault = (method: string): FaultSpec | null => {
    const pending = faults.find(
      (fault) => fault.spec.method === undefined || fault.spec.method.toUpperCase() === method,
    );
    if (!pending) return null;
    pending.remaining -= 1;
    if (pending.remaining <= 0) faults = faults.filter((fault) => fault !== pending);
    return pending.spec;
  };

  const addFault = (value: unknown) => {
    const spec = validateFault(value);
    faults.push({ spec: { ...spec }, remaining: spec.count ?? 1 });
  };

  const startJob = (namespace: string, name: string) =>
    structuredClone(
      store.updateStatus(namespace, name, (job, now) => {
        job.status.startTime ??= now;
        if (!isFinished(job)) job.status.active = 1;
      }),
    );

  const completeJob = (namespace: string, name: string) =>
    structuredClone(
      store.updateStatus(namespace, name, (job, now) => {
        job.status.startTime ??= job.metadata.creationTimestamp;
        delete job.status.active;
        job.status.completionTime = now;
        job.status.succeeded = 1;
        job.status.conditions = [
          ...(job.status.conditions ?? []).filter((condition) => condition.type !== 'Complete'),
          terminalCondition('Complete', now),
        ];
      }),
    );

  const failJob = (namespace: string, name: string, message?: string, reason?: string) =>
    structuredClone(
      store.updateStatus(namespace, name, (job, now) => {
        const backoffLimit = typeof job.spec.backoffLimit === 'number' ? job.spec.backoffLimit : 6;
        job.status.startTime ??= job.metadata.creationTimestamp;
        delete job.status.active;
        job.status.failed = backoffLimit + 1;
        job.status.conditions = [
          ...(job.status.conditions ?? []).filter((condition) => condition.type !== 'Failed'),
          terminalCondition(
            'Failed',
            now,
            reason ?? 'BackoffLimitExceeded',
            message ?? 'Job has reached the specified backoff limit',
          ),
        ];
      }),
    );

  /** Runs an in-process control call, turning a missing Job into a KubeServerError. */
  const control = <T>(action: () => T): T => {
    try {
      return action();
    } catch (error) {
      if (error instanceof StatusError) throw new KubeServerError(error.message);
      throw error;
    }
  };

  const handleApi = async (req: IncomingMessage, url: URL): Promise<{ code: number; body: unknown }> => {
    const method = req.method ?? 'GET';
    if (req.headers.authorization !== `Bearer ${token}`)
      throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    if (url.searchParams.has('fieldSelector'))
      throw new StatusError(400, 'BadRequest', 'fieldSelector is not supported by the local kube server');
    if (ALL_JOBS_PATH.test(url.pathname)) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { code: 200, body: listBody(undefined, url) };
    }
    const match = JOBS_PATH.exec(url.pathname);
    if (!match)
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    const namespace = decodeURIComponent(match[1] as string);
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (name === undefined) {
      if (method === 'GET') return { code: 200, body: listBody(namespace, url) };
      if (method === 'POST') {
        const created = store.create(namespace, parseJson(await readBody(req)));
        log({ severity: 'INFO', message: 'job created', namespace, job: created.metadata.name });
        return { code: 201, body: created };
      }
      throw methodNotAllowed(method);
    }
    if (method === 'GET') return { code: 200, body: store.require(namespace, name) };
    if (method === 'DELETE') {
      await readBody(req);
      const policy = url.searchParams.get('propagationPolicy');
      if (policy !== null && !['Orphan', 'Background', 'Foreground'].includes(policy))
        throw new StatusError(
          400,
          'BadRequest',
          `invalid propagationPolicy ${JSON.stringify(policy)}: supported values: "Orphan", "Background", "Foreground"`,
        );
      const deleted = store.delete(namespace, name);
      log({ severity: 'INFO', message: 'job deleted', namespace, job: name });
      const status: KubeStatus = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: 'batch', kind: 'jobs', uid: deleted.metadata.uid },
        code: 200,
      };
      return { code: 200, body: status };
    }
    throw methodNotAllowed(method);
  };

  const listBody = (namespace: string | undefined, url: URL) => {
    let requirements: SelectorRequirement[];
    try {
      requirements = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
    } catch (error) {
      if (error instanceof SelectorError) throw new StatusError(400, 'BadRequest', error.message);
      throw error;
    }
    return {
      kind: 'JobList',
      apiVersion: 'batch/v1',
      metadata: { resourceVersion: store.resourceVersion },
      items: store.list(namespace).filter((job) => matchesLabelSelector(job.metadata.labels, requirements)),
    };
  };

  const handleControl = async (req: IncomingMessage, url: URL): Promise<{ code: number; body: unknown }> => {
    const method = req.method ?? 'GET';
    if (req.headers.authorization !== `Bearer ${token}`)
      throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const jobMatch = CONTROL_JOB_PATH.exec(url.pathname);
    if (jobMatch) {
      if (method !== 'POST') throw methodNotAllowed(method);
      const namespace = decodeURIComponent(jobMatch[1] as string);
      const name = decodeURIComponent(jobMatch[2] as string);
      const body = parseJson(await readBody(req));
      const options = isObject(body) ? body : {};
      const action = jobMatch[3];
      const job =
        action === 'complete'
          ? completeJob(namespace, name)
          : action === 'start'
            ? startJob(namespace, name)
            : failJob(
                namespace,
                name,
                typeof options.message === 'string' ? options.message : undefined,
                typeof options.reason === 'string' ? options.reason : undefined,
              );
      return { code: 200, body: job };
    }
    if (url.pathname === '/_control/faults') {
      if (method === 'DELETE') {
        faults = [];
        return { code: 200, body: { faults: [] } };
      }
      if (method === 'GET') return { code: 200, body: { faults: pendingFaults() } };
      if (method !== 'POST') throw methodNotAllowed(method);
      const body = parseJson(await readBody(req));
      try {
        for (const fault of Array.isArray(body) ? body : [body]) addFault(fault);
      } catch (error) {
        if (error instanceof KubeServerError) throw new StatusError(400, 'BadRequest', error.message);
        throw error;
      }
      return { code: 200, body: { faults: pendingFaults() } };
    }
    if (url.pathname === '/_control/reset' && method === 'POST') {
      reset();
      return { code: 200, body: {} };
    }
    if (url.pathname === '/_control/requests' && method === 'GET')
      return { code: 200, body: { requests: recorded } };
    throw new StatusError(404, 'NotFound', `no control endpoint ${method} ${url.pathname}`);
  };

  const pendingFaults = () => faults.map((fault) => ({ ...fault.spec, count: fault.remaining }));

  const reset = () => {
    store.clear();
    faults = [];
    recorded = [];
  };

  const record = (req: IncomingMessage, url: URL, status: number, isFault: boolean) => {
    recorded.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status,
      isFault,
    });
    if (recorded.length > MAX_RECORDED_REQUESTS) recorded = recorded.slice(-MAX_RECORDED_REQUESTS);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const isControl = url.pathname.startsWith('/_control/');
    const fault = isControl ? null : takeFault(method);
    if (fault) {
      if (fault.delayMs !== undefined && fault.delayMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, fault.delayMs);
          timers.add(timer);
        });
        if (res.destroyed) return;
      }
      if (fault.dropConnection) {
        record(req, url, 0, true);
        req.socket.destroy();
        return;
      }
      if (fault.status !== undefined) {
        const reason = REASONS[fault.status] ?? 'InternalError';
        record(req, url, fault.status, true);
        log({
          severity: 'INFO',
          message: 'injected fault',
          method,
          path: url.pathname,
          status: fault.status,
        });
        sendJson(
          res,
          fault.status,
          failureStatus(fault.status, reason, fault.message ?? 'injected fault'),
          fault.status === 429 ? { 'Retry-After': '1' } : {},
        );
        return;
      }
    }
    try {
      const { code, body } = isControl ? await handleControl(req, url) : await handleApi(req, url);
      if (!isControl) record(req, url, code, false);
      sendJson(res, code, body);
    } catch (error) {
      const status =
        error instanceof StatusError
          ? failureStatus(error.code, error.reason, error.message, error.details)
          : failureStatus(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
      if (!(error instanceof StatusError))
        log({ severity: 'ERROR', message: 'unexpected error', error: (error as Error).stack });
      if (!isControl) record(req, url, status.code, false);
      sendJson(res, status.code, status);
    }
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      log({ severity: 'ERROR', message: 'request failed', error: String(error) });
      if (!res.headersSent) res.destroy();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log({ severity: 'INFO', message: 'kube server started', url });

  let stopping: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => {
          log({ severity: 'INFO', message: 'kube server stopped', url });
          resolve();
        });
        server.closeAllConnections();
      });
      return stopping;
    },
    jobs: (namespace) => structuredClone(store.list(namespace)),
    getJob: (namespace, name) => {
      const job = store.get(namespace, name);
      return job ? structuredClone(job) : null;
    },
    startJob: (namespace, name) => control(() => startJob(namespace, name)),
    completeJob: (namespace, name) => control(() => completeJob(namespace, name)),
    failJob: (namespace, name, message, reason) => control(() => failJob(namespace, name, message, reason)),
    injectFaults: (fault) => addFault(fault),
    clearFaults: () => {
      faults = [];
    },
    reset,
    requests: () => structuredClone(recorded),
  };
}

function methodNotAllowed(method: string): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

/** A kubeconfig (YAML) whose current context talks to the local server over plain HTTP. */
export function renderLocalKubeconfig(url: string, token: string, namespace: string): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-server', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kube-server', user: { token } }],
    contexts: [{ name: 'kube-server', context: { cluster: 'kube-server', user: 'kube-server', namespace } }],
    'current-context': 'kube-server',
  });
}
