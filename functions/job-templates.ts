/**
 * The Job templates (templates/deploy-kubeflow.yaml and templates/teardown-kubeflow.yaml), read and
 * validated once per directory. functions/core/job-manifest.ts fills them in.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYamlText } from './config/yaml-text.js';
import { DEPLOY_CONTAINER_NAME, TEARDOWN_CONTAINER_NAME } from './core/job-manifest.js';

/** The repository's templates directory. */
export const DEFAULT_TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'templates');

export const DEPLOY_TEMPLATE_FILE = 'deploy-kubeflow.yaml';
export const TEARDOWN_TEMPLATE_FILE = 'teardown-kubeflow.yaml';

/** A Job manifest as parsed from YAML; frozen, so renderers must copy it (they do). */
export type JobTemplate = Readonly<Record<string, unknown>>;

export interface JobTemplates {
  deploy: JobTemplate;
  teardown: JobTemplate;
}

/** A template file that is missing, not YAML, or not a usable Job; the message names the file and every problem. */
export class JobTemplateError extends Error {
  override name = 'JobTemplateError';
  constructor(
    message: string,
    readonly file: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The Job's own fields: apiVersion, kind, metadata. */
function headerProblems(manifest: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (manifest.apiVersion !== 'batch/v1')
    problems.push(`apiVersion must be batch/v1, got ${JSON.stringify(manifest.apiVersion ?? null)}`);
  if (manifest.kind !== 'Job')
    problems.push(`kind must be Job, got ${JSON.stringify(manifest.kind ?? null)}`);
  if (manifest.metadata !== undefined && !isObject(manifest.metadata))
    problems.push('metadata must be a mapping');
  return problems;
}

/** Exactly one container, named `containerName`, with an image. */
function containerProblems(containers: unknown, containerName: string): string[] {
  if (!Array.isArray(containers) || containers.length !== 1) {
    const found = Array.isArray(containers) ? containers.length : 'none';
    return [
      `spec.template.spec.containers must hold exactly one container named "${containerName}", found ${found}`,
    ];
  }
  const container = containers[0];
  if (!isObject(container) || container.name !== containerName) {
    const name = JSON.stringify(isObject(container) ? (container.name ?? null) : container);
    return [`the container must be named "${containerName}", got ${name}`];
  }
  if (typeof container.image !== 'string' || container.image.trim() === '') {
    return [`container "${containerName}" has no image`];
  }
  return [];
}

/** What is wrong with `manifest` as a Job template whose single container must be `containerName`. */
export function jobTemplateProblems(manifest: unknown, containerName: string): string[] {
  if (!isObject(manifest)) return ['the file must hold one YAML mapping (a Job manifest)'];
  const problems = headerProblems(manifest);
  const template = isObject(manifest.spec) ? manifest.spec.template : undefined;
  const podSpec = isObject(template) ? template.spec : undefined;
  if (!isObject(podSpec)) return [...problems, 'spec.template.spec is missing'];
  if (isObject(template) && template.metadata !== undefined && !isObject(template.metadata))
    problems.push('spec.template.metadata must be a mapping');
  problems.push(...containerProblems(podSpec.containers, containerName));
  if (podSpec.restartPolicy !== 'Never' && podSpec.restartPolicy !== 'OnFailure')
    problems.push(
      `spec.template.spec.restartPolicy must be Never or OnFailure, got ${JSON.stringify(podSpec.restartPolicy ?? null)}`,
    );
  return problems;
}

/** Parses and validates one template file's text; throws JobTemplateError naming `file`. */
export function parseJobTemplate(text: string, file: string, containerName: string): JobTemplate {
  let manifest: unknown;
  try {
    manifest = parseYamlText(text);
  } catch (error) {
    throw new JobTemplateError(`Job template ${file} is not valid YAML: ${(error as Error).message}`, file, [
      (error as Error).message,
    ]);
  }
  const problems = jobTemplateProblems(manifest, containerName);
  if (problems.length > 0)
    throw new JobTemplateError(
      `Job template ${file} is not a usable batch/v1 Job: ${problems.join('; ')}. Fix the file (see the comments at its top).`,
      file,
      problems,
    );
  return deepFreeze(manifest as Record<string, unknown>);
}

function readTemplate(dir: string, name: string, containerName: string): JobTemplate {
  const file = join(dir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new JobTemplateError(`Cannot read Job template ${file}: ${(error as Error).message}`, file);
  }
  return parseJobTemplate(text, file, containerName);
}

const loaded = new Map<string, JobTemplates>();

/**
 * The deploy and teardown templates of `dir` (default: the repository's templates/), read and
 * validated on the first call for that directory and reused afterwards. Throws JobTemplateError.
 */
export function loadJobTemplates(dir: string = DEFAULT_TEMPLATES_DIR): JobTemplates {
  const key = resolve(dir);
  let templates = loaded.get(key);
  if (!templates) {
    templates = {
      deploy: readTemplate(key, DEPLOY_TEMPLATE_FILE, DEPLOY_CONTAINER_NAME),
      teardown: readTemplate(key, TEARDOWN_TEMPLATE_FILE, TEARDOWN_CONTAINER_NAME),
    };
    loaded.set(key, templates);
  }
  return templates;
}
