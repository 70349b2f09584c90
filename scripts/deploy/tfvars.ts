/**
 * Reads the deploy's own setting from the tfvars file: `state_bucket`, where the Terraform state
 * lives. Terraform cannot take its backend from variables, so npm run deploy passes it to
 * `terraform init`; keeping it in the tfvars file keeps one file to fill in.
 */
import { parse } from '@cdktf/hcl2json';
import { checkBucketName } from './options.js';

/** `state_bucket` of the tfvars text, or null when it is not set. Throws on a bad name. */
export async function readStateBucket(tfvarsText: string, source: string): Promise<string | null> {
  const values = (await parse(source, tfvarsText)) as Record<string, unknown>;
  const bucket = values.state_bucket;
  if (bucket === undefined || bucket === null) return null;
  if (typeof bucket !== 'string') throw new Error(`${source}: state_bucket must be a string`);
  checkBucketName(bucket, `${source}: state_bucket`);
  return bucket;
}
