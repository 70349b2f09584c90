/**
 * The Jobs of the local API server, by namespace, with the fields the API server fills in on create
 * (name from generateName, uid, resourceVersion, creationTimestamp, defaults, selector, pod labels).
 * Namespaces always exist. Returns its own objects: callers that hand them out copy them.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { JobChanges } from './job-changes.js';
import { MAX_JOB_NAME_LENGTH, validateJob } from './job-validation.js';
import { alreadyExists, badRequest, objectNotFound } from './status-error.js';
import { isObject, type JsonObject, type KubeJob, kubeTime } from './types.js';

/** The characters Kubernetes' name generator uses (no vowels, no look-alikes). */
const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
/** Where resourceVersions start; any number works, a real server's are large too. */
const FIRST_RESOURCE_VERSION = 1000;

/** Stores Jobs, stamps them, and counts resourceVersions. */
export class JobStore {
  private readonly byNamespace = new Map<string, Map<string, KubeJob>>();
  private revision = FIRST_RESOURCE_VERSION;
  /** Every create, status change and delete, for watches. */
  readonly changes = new JobChanges();

  constructor(private readonly now: () => Date) {}

  /** The resourceVersion of the latest change, for list metadata. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  private bump(): string {
    this.revision += 1;
    return String(this.revision);
  }

  /** The Jobs of `namespace` (every namespace when omitted), oldest first. */
  list(namespace?: string): KubeJob[] {
    const namespaces =
      namespace === undefined ? [...this.byNamespace.values()] : [this.byNamespace.get(namespace)];
    return namespaces.flatMap((jobs) => (jobs ? [...jobs.values()] : []));
  }

  get(namespace: string, name: string): KubeJob | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** The Job, or a 404 NotFound StatusError. */
  require(namespace: string, name: string): KubeJob {
    const job = this.get(namespace, name);
    if (!job) throw objectNotFound('jobs', 'batch', name);
    return job;
  }

  /** Validates `body` (a Job sent to `namespace`) and stores it; throws StatusErrors like the API server. */
  create(namespace: string, body: unknown): KubeJob {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object (a Job)');
    if (body.apiVersion !== undefined && body.apiVersion !== 'batch/v1')
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (batch/v1)`,
      );
    if (body.kind !== undefined && body.kind !== 'Job')
      throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Job)`);
    const metadata = isObject(body.metadata) ? structuredClone(body.metadata) : {};
    if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    const spec = isObject(body.spec) ? structuredClone(body.spec) : {};

    const name = this.nameFor(namespace, metadata);
    validateJob(name, metadata, spec);
    if (this.get(namespace, name)) throw alreadyExists('jobs', 'batch', name);

    const uid = randomUUID();
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
        template: withControllerLabels(spec.template as JsonObject, name, uid),
      },
      status: {},
    };
    let jobs = this.byNamespace.get(namespace);
    if (!jobs) {
      jobs = new Map();
      this.byNamespace.set(namespace, jobs);
    }
    jobs.set(name, job);
    this.changes.publish('ADDED', job);
    return job;
  }

  /** Removes the Job (404 NotFound when missing) and returns it. */
  delete(namespace: string, name: string): KubeJob {
    const job = this.require(namespace, name);
    this.byNamespace.get(namespace)?.delete(name);
    this.changes.publish('DELETED', { ...job, metadata: { ...job.metadata, resourceVersion: this.bump() } });
    return job;
  }

  /** Applies `change` to the Job's status (with the time now) and bumps its resourceVersion. */
  updateStatus(namespace: string, name: string, change: (job: KubeJob, now: string) => void): KubeJob {
    const job = this.require(namespace, name);
    const before = structuredClone(job);
    change(job, kubeTime(this.now()));
    job.metadata.resourceVersion = this.bump();
    this.changes.publish('MODIFIED', job, before);
    return job;
  }

  clear(): void {
    this.byNamespace.clear();
    this.changes.clear();
  }

  /** `metadata.name`, or generateName plus a random suffix no Job of the namespace has. */
  private nameFor(namespace: string, metadata: JsonObject): string {
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    const generateName = typeof metadata.generateName === 'string' ? metadata.generateName : '';
    if (name !== '' || generateName === '') return name;
    const base = generateName.slice(0, MAX_JOB_NAME_LENGTH - GENERATED_SUFFIX_LENGTH);
    for (;;) {
      let suffix = '';
      for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++)
        suffix += GENERATED_NAME_ALPHABET[randomInt(GENERATED_NAME_ALPHABET.length)];
      if (!this.get(namespace, base + suffix)) return base + suffix;
    }
  }
}

/** The pod template with the labels the Job controller puts on its pods. */
function withControllerLabels(template: JsonObject, name: string, uid: string): JsonObject {
  const metadata = isObject(template.metadata) ? template.metadata : {};
  const labels = isObject(metadata.labels) ? metadata.labels : {};
  return {
    ...template,
    metadata: {
      ...metadata,
      labels: {
        ...labels,
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      },
    },
  };
}
