/**
 * The deployments file (templates/deployments.yaml, or the file AUTO_DEPLOY_CONFIG names): the versions
 * to keep deployed and the policy. Validated once; every problem is collected into one ConfigError that
 * names the file, the field and the bad value, and says how to fix it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  branchDocId,
  isValidBranchName,
  isValidDnsLabel,
  isValidDocumentId,
  isValidRepoFullName,
  isValidVersionName,
  MAX_DOCUMENT_ID_BYTES,
  MAX_VERSION_NAME_LENGTH,
} from '../core/names.js';
import type { DeploymentsConfig, InventoryConfig, Policy, ReadinessConfig } from '../core/types.js';
import { ConfigError, formatIssue } from './config-error.js';
import { parseYamlText, YamlSyntaxError } from './yaml-text.js';

/** The repository's default deployments file. */
export const DEFAULT_CONFIG_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'templates',
  'deployments.yaml',
);

/** The original reconciler's numbers. */
export const DEFAULT_POLICY: Policy = {
  minMinutesBetweenDeployments: 20,
  maxActiveDeployments: 10,
  periodicRedeployHours: 12,
  minLifetimeHours: 3,
  gracePeriodHours: 3,
  maxDeployAttempts: 3,
  retryBackoffMinutes: 20,
  deployTimeoutMinutes: 120,
  jobRetentionHours: 72,
  failedRetentionHours: 1,
  maxTeardownAttempts: 3,
};

/** Readiness when the file says nothing: on, with the endpoint Kubeflow's IAP serves. */
export const DEFAULT_READINESS: ReadinessConfig = {
  enabled: true,
  url: 'https://{instance}.endpoints.{project}.cloud.goog/',
  expectStatus: [200, 302, 401, 403],
  timeoutSeconds: 10,
  failuresToUnhealthy: 3,
  verifyTimeoutMinutes: 30,
};

/** The inventory when the file says nothing: on, adopting unknown clusters. */
export const DEFAULT_INVENTORY: InventoryConfig = { enabled: true, adopt: true };

const positiveNumber = z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' });

const wholeAtLeastOne = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be at least 1' });

const policyOverrideSchema = z.strictObject({
  minMinutesBetweenDeployments: positiveNumber.optional(),
  periodicRedeployHours: positiveNumber.optional(),
  minLifetimeHours: positiveNumber.optional(),
  gracePeriodHours: positiveNumber.optional(),
  maxDeployAttempts: wholeAtLeastOne.optional(),
  retryBackoffMinutes: positiveNumber.optional(),
  deployTimeoutMinutes: positiveNumber.optional(),
  jobRetentionHours: positiveNumber.optional(),
  failedRetentionHours: positiveNumber.optional(),
  maxTeardownAttempts: wholeAtLeastOne.optional(),
});

/** The placeholders a readiness URL may use. */
export const READINESS_PLACEHOLDERS = ['instance', 'version', 'project', 'zone'];
const PLACEHOLDERS = READINESS_PLACEHOLDERS;

const readinessSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  url: z
    .string({ error: 'must be a string' })
    .refine(isReadinessUrlTemplate, {
      error: `must be an http(s) URL; placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
    })
    .optional(),
  expectStatus: z
    .array(z.number().int().min(100).max(599), { error: 'must be a list of HTTP statuses (100-599)' })
    .min(1, { error: 'must name at least one status' })
    .optional(),
  timeoutSeconds: positiveNumber.optional(),
  failuresToUnhealthy: wholeAtLeastOne.optional(),
  verifyTimeoutMinutes: positiveNumber.optional(),
});

const inventorySchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  adopt: z.boolean({ error: 'must be true or false' }).optional(),
});

/** An http(s) URL once its placeholders are filled, and no unknown placeholder. */
export function isReadinessUrlTemplate(template: string): boolean {
  const names = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string);
  if (names.some((name) => !PLACEHOLDERS.includes(name))) return false;
  const filled = template.replace(/\{[^}]*\}/g, 'x');
  return /^https?:\/\/[^\s/]+/.test(filled) && URL.canParse(filled);
}

const policySchema = z.strictObject({
  ...policyOverrideSchema.shape,
  maxActiveDeployments: z
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be at least 1' })
    .optional(),
});

const nonEmpty = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });
/** Not trimmed: git allows non-ASCII white space in a branch name (U+00A0, U+3000), and trim() removes it. */
const untrimmed = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });

const versionSchema = z
  .strictObject({
    name: nonEmpty.refine(isValidVersionName, {
      error: `must be lower-case letters, digits and '-', start with a letter, end with a letter or digit, at most ${MAX_VERSION_NAME_LENGTH} characters (it forms label values and instance names kf-<name>-MMDD-abc)`,
    }),
    repo: nonEmpty.refine(isValidRepoFullName, { error: "must be a GitHub repository 'owner/name'" }),
    branch: untrimmed.refine(isValidBranchName, {
      error: 'must be a valid git branch name (see git check-ref-format)',
    }),
    kfDefPath: nonEmpty.refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), {
      error: "must be a path inside the repository, without a leading '/' or '..'",
    }),
    kfctlUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    paused: z.boolean({ error: 'must be true or false' }).optional(),
    policy: policyOverrideSchema.optional(),
    readiness: readinessSchema.optional(),
  })
  .superRefine((version, ctx) => {
    // A followed branch is stored under branches/{branchDocId}: Firestore refuses ids over 1,500 bytes.
    if (!isValidDocumentId(branchDocId(version.repo, version.branch))) {
      ctx.addIssue({
        code: 'custom',
        path: ['branch'],
        input: version.branch,
        message: `is too long to be stored (its Firestore document id would be over ${MAX_DOCUMENT_ID_BYTES} bytes)`,
      });
    }
  });

const deploymentsSchema = z.strictObject({
  project: nonEmpty,
  zone: nonEmpty,
  namespace: nonEmpty.refine(isValidDnsLabel, {
    error: "must be a Kubernetes namespace name: lower-case letters, digits and '-', at most 63 characters",
  }),
  policy: policySchema.optional(),
  readiness: readinessSchema.optional(),
  inventory: inventorySchema.optional(),
  versions: z
    .array(versionSchema, { error: 'must be a list of versions' })
    .min(1, { error: 'must list at least one version' }),
});

/**
 * Duplicate version names, found on the raw input: a schema refinement would not run while any
 * version has a type error, and every problem must be reported at once.
 */
function findDuplicateVersionNames(raw: unknown): string[] {
  const versions = (raw as { versions?: unknown } | null)?.versions;
  if (!Array.isArray(versions)) return [];
  const seen = new Set<string>();
  const problems: string[] = [];
  versions.forEach((version, index) => {
    const name = (version as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) {
      problems.push(
        `versions[${index}].name: duplicates the name of an earlier version; version names must be unique (got ${JSON.stringify(name)})`,
      );
    }
    seen.add(name);
  });
  return problems;
}

/** Validates the text of a deployments file; `source` names it in errors. */
export function parseDeploymentsConfig(text: string, source: string): DeploymentsConfig {
  let raw: unknown;
  try {
    raw = parseYamlText(text);
  } catch (err) {
    const detail = err instanceof YamlSyntaxError ? err.message : String(err);
    throw new ConfigError(`Invalid deployments config ${source}: not valid YAML: ${detail}`, [detail]);
  }
  const result = deploymentsSchema.safeParse(raw, { reportInput: true });
  const duplicates = findDuplicateVersionNames(raw);
  if (!result.success || duplicates.length > 0) {
    const problems = [...(result.success ? [] : result.error.issues.map(formatIssue)), ...duplicates];
    throw new ConfigError(
      `Invalid deployments config ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}; ` +
        `fix them and redeploy, see README "Configuration"):\n${problems.map((line) => `  - ${line}`).join('\n')}`,
      problems,
    );
  }
  if (!result.success) throw new Error('unreachable: validation failed without problems');
  const file = result.data;
  const policy: Policy = { ...DEFAULT_POLICY, ...file.policy };
  const readiness: ReadinessConfig = { ...DEFAULT_READINESS, ...file.readiness };
  return {
    project: file.project,
    zone: file.zone,
    namespace: file.namespace,
    policy,
    readiness,
    inventory: { ...DEFAULT_INVENTORY, ...file.inventory },
    versions: file.versions.map((version) => ({
      name: version.name,
      repo: version.repo,
      branch: version.branch,
      kfDefPath: version.kfDefPath,
      kfctlUrl: version.kfctlUrl,
      paused: version.paused ?? false,
      policy: { ...policy, ...version.policy },
      readiness: { ...readiness, ...version.readiness },
    })),
  };
}

/** Reads and validates a deployments file. */
export function loadDeploymentsConfig(path: string): DeploymentsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read deployments config ${path}: ${(err as Error).message}. Set AUTO_DEPLOY_CONFIG to an existing file.`,
    );
  }
  return parseDeploymentsConfig(text, path);
}
