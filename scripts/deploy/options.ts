/**
 * `npm run deploy` options, parsed from the command line and the environment (a parameter, never
 * read at import). Pure: paths are resolved against the `root` given.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Thrown for a wrong command line; the message says how to fix it. */
export class DeployUsageError extends Error {
  override name = 'DeployUsageError';
}

export interface DeployOptions {
  /** Stop after `terraform plan` (review). */
  isPlanOnly: boolean;
  /** Apply without asking (CI). */
  isPreconfirmed: boolean;
  /** Absolute path of the tfvars file. */
  varFile: string;
  /** The GCS bucket of the Terraform state; null: `state_bucket` of the tfvars file (resolveStateBucket). */
  stateBucket: string | null;
  statePrefix: string;
  /** Rollback: the source object (source/<sha256>.zip) to point the functions back at; null deploys the checkout. */
  rollbackObject: string | null;
}

export const DEPLOY_USAGE = `usage: npm run deploy -- [options]

Builds, runs the unit tests, packages the functions' source, shows \`terraform plan\` for infra/,
applies it once you confirm, then checks that the status page answers.

  --plan-only              stop after the plan (nothing is changed)
  --yes, -y                apply without asking (CI); needed when there is no terminal
  --var-file PATH          the tfvars file (infra/terraform.tfvars)
  --state-bucket NAME      GCS bucket of the Terraform state (or AUTO_DEPLOY_STATE_BUCKET;
                           default: state_bucket in the tfvars file)
  --state-prefix PREFIX    path of the state in the bucket (kubeflow-auto-deploy, or AUTO_DEPLOY_STATE_PREFIX)
  --rollback OBJECT        run an earlier source archive again (source/<sha256>.zip, or its gs:// URL):
                           no build, no tests, no upload; see infra/README.md "Rolling back"
  --help                   this text`;

const SOURCE_OBJECT = /^source\/[0-9a-f]{64}\.zip$/;

/** Parses `argv` (after `--`); returns null for --help. */
export function parseDeployArgs(argv: string[], env: NodeJS.ProcessEnv, root: string): DeployOptions | null {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    throw new DeployUsageError(`${(err as Error).message}\n\n${DEPLOY_USAGE}`);
  }
  if (values.help) return null;

  const stateBucket = (values['state-bucket'] ?? env.AUTO_DEPLOY_STATE_BUCKET ?? '').trim() || null;
  if (stateBucket !== null) checkBucketName(stateBucket, '--state-bucket');
  const statePrefix =
    (values['state-prefix'] ?? env.AUTO_DEPLOY_STATE_PREFIX ?? '').trim() || 'kubeflow-auto-deploy';

  let rollbackObject: string | null = null;
  if (values.rollback !== undefined) {
    // A gs:// URL (as `gcloud storage ls` prints it) names the same object.
    rollbackObject = values.rollback.trim().replace(/^gs:\/\/[^/]+\//, '');
    if (!SOURCE_OBJECT.test(rollbackObject)) {
      throw new DeployUsageError(
        `--rollback: expected an object of the source bucket, source/<sha256>.zip (got ${JSON.stringify(values.rollback)}); ` +
          'list them with gcloud storage ls --long gs://BUCKET/source/',
      );
    }
  }

  const varFile = values['var-file'] ?? join('infra', 'terraform.tfvars');
  return {
    isPlanOnly: values['plan-only'] ?? false,
    isPreconfirmed: values.yes ?? false,
    varFile: isAbsolute(varFile) ? varFile : resolve(root, varFile),
    stateBucket,
    statePrefix,
    rollbackObject,
  };
}

/** The message for a deploy that does not know where the state is. */
export const NO_STATE_BUCKET =
  'The Terraform state lives in a GCS bucket: set state_bucket in infra/terraform.tfvars (or pass ' +
  '--state-bucket NAME, or set AUTO_DEPLOY_STATE_BUCKET). Create the bucket once: see infra/README.md.';

/** Throws DeployUsageError unless `name` is a GCS bucket name. */
export function checkBucketName(name: string, source: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(name)) {
    throw new DeployUsageError(`${source}: not a bucket name: ${JSON.stringify(name)}`);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'plan-only': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'var-file': { type: 'string' },
      'state-bucket': { type: 'string' },
      'state-prefix': { type: 'string' },
      rollback: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
