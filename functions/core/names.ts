/**
 * Naming rules: document ids, Kubernetes label values, version names, git refs.
 * Pure functions; every rule here is shared by validation and by the code that builds names.
 */
import { createHash } from 'node:crypto';
import { pad2 } from './time.js';
import type { DeployReason } from './types.js';

/** The all-zero sha GitHub uses for "no commit" in `before` / `after`. */
export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** Longest version name: keeps `kf-<version>-MMDD-abc` within GKE's 40-character cluster-name limit. */
export const MAX_VERSION_NAME_LENGTH = 24;

/** Longest Kubernetes label value. */
export const MAX_LABEL_VALUE_LENGTH = 63;

const VERSION_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const REPO_FULL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/;

/** True when `name` can be a version name: a DNS label that fits in an instance name. */
export function isValidVersionName(name: string): boolean {
  return name.length <= MAX_VERSION_NAME_LENGTH && VERSION_NAME.test(name);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `name` is an RFC 1123 DNS label (a Kubernetes namespace name). */
export function isValidDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** True when `value` is a valid Kubernetes label value. */
export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && LABEL_VALUE.test(value);
}

/**
 * Makes any string a valid Kubernetes label value the way the original did for branches
 * (`v1.0-branch` -> `v1-0-branch`): characters other than letters, digits, `-` and `_`
 * become `-`, then it is cut to 63 characters and trimmed to start and end alphanumeric.
 */
export function toLabelValue(text: string): string {
  const replaced = text.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_LABEL_VALUE_LENGTH);
  return replaced.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/** True for `owner/name` as GitHub allows them. */
export function isValidRepoFullName(repo: string): boolean {
  const name = repo.split('/')[1];
  return REPO_FULL_NAME.test(repo) && name !== '.' && name !== '..';
}

/**
 * True when `branch` is a valid git branch name (the rules of `git check-ref-format --branch`):
 * no control characters, space, `~ ^ : ? * [ \`, `..` or `@{`; no empty, dot-leading or
 * `.lock`-ending component; not `@` or `HEAD` (git refuses to create either), not ending with `.` or `/`.
 */
export function isValidBranchName(branch: string): boolean {
  if (branch === '' || branch === '@' || branch === 'HEAD' || branch.startsWith('-')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: git forbids control characters in refs.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(branch)) return false;
  if (branch.includes('..') || branch.includes('@{') || branch.endsWith('.')) return false;
  return branch.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** Firestore's longest document id, in UTF-8 bytes. */
export const MAX_DOCUMENT_ID_BYTES = 1500;

/**
 * True when Firestore accepts `id` as a document id: at most 1,500 bytes of UTF-8 (no lone surrogate),
 * no `/`, not `.` or `..`, not `__...__` (reserved).
 */
export function isValidDocumentId(id: string): boolean {
  if (id === '' || id === '.' || id === '..' || id.includes('/')) return false;
  // With the u flag a surrogate pair is one code point: only a lone surrogate matches.
  if (/^__.*__$/s.test(id) || /[\uD800-\uDFFF]/u.test(id)) return false;
  return new TextEncoder().encode(id).length <= MAX_DOCUMENT_ID_BYTES;
}

/** The branch of a `refs/heads/...` ref, or null for tags and other refs. */
export function branchFromRef(ref: string): string | null {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
}

/** Encodes `%` and `/`, the only characters a branch may have that a Firestore document id may not. */
function encodeIdSegment(text: string): string {
  return text.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/**
 * The Firestore document id of a followed branch: `owner:repo:branch`, readable in the console.
 * The repository is lower-cased (GitHub names are case-insensitive); the branch keeps its case
 * (git branch names are not) with `%` and `/` percent-encoded. `:` cannot occur in a repository
 * or branch name, so the id is unambiguous.
 */
export function branchDocId(repo: string, branch: string): string {
  const [owner = '', name = ''] = repo.toLowerCase().split('/');
  return `${owner}:${name}:${encodeIdSegment(branch)}`;
}

/** Same repository, compared as GitHub does (case-insensitively). */
export function isSameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Deploy pipeline names

/** Longest Cloud Tasks task id. */
export const MAX_TASK_ID_LENGTH = 500;

/** How many characters of a commit sha a deploy request id keeps. */
const REQUEST_ID_SHA_LENGTH = 12;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `YYYYMMDDHHmm` in UTC: a compact, sortable minute stamp for ids. */
export function compactUtcMinute(at: Date): string {
  return (
    `${at.getUTCFullYear()}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}` +
    `${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}`
  );
}

/**
 * The Kubeflow instance name `kf-<version>-<MMDD>-<3 hex>` (the original's scheme, short because of
 * certificate name limits). MMDD is `createdAt` in UTC; the 3 hex characters are the start of
 * sha256(`seed`), so a retried launch with the same seed (e.g. the deploy request id) gets the same name.
 * At most 36 characters for a valid version name; a DNS label and a label value.
 */
export function instanceName(version: string, createdAt: Date, seed: string): string {
  if (!isValidVersionName(version)) {
    throw new RangeError(
      `instanceName: version name ${JSON.stringify(version)} is not valid; ` +
        `use at most ${MAX_VERSION_NAME_LENGTH} lowercase letters, digits and '-' (validated in deployments.yaml)`,
    );
  }
  const mmdd = `${pad2(createdAt.getUTCMonth() + 1)}${pad2(createdAt.getUTCDate())}`;
  return `kf-${version}-${mmdd}-${sha256Hex(seed).slice(0, 3)}`;
}

/**
 * The window part of a deploy request id. One window admits one request, so a repeated plan finds the
 * request it already made, and a later, different need gets a new id. `at` is a UTC minute, `YYYYMMDDHHmm`:
 * - `new-commit`: `c` + the launch it supersedes (`at` = the version's newest launch's `createdAt`),
 *   or just `c` for a version's first launch (`at` = null). Not `c` alone: a commit may need a second
 *   new-commit deploy (a force-push back to a commit whose instance was collected), and its first
 *   request id would still exist;
 * - `periodic`: `p` + the launch it supersedes (`at` = that launch's `createdAt`);
 * - `manual`: `m` + the minute of the decision (`at` = `now`);
 * - `retry`: `r` + the failed launch it retries (`at` = that launch's `createdAt`).
 */
export function deployWindow(reason: DeployReason, at: Date | null): string {
  const stamp = at === null ? '' : compactUtcMinute(at);
  switch (reason) {
    case 'new-commit':
      return `c${stamp}`;
    case 'periodic':
      return `p${stamp}`;
    case 'manual':
      return `m${stamp}`;
    case 'retry':
      return `r${stamp}`;
  }
}

/** Firestore id of a deploy request: `deploy-<version>-<sha12>-<window>`, readable in the console. */
export function deployRequestId(version: string, commit: string, window: string): string {
  return `deploy-${version}-${commit.slice(0, REQUEST_ID_SHA_LENGTH)}-${window}`;
}

/** Firestore id of a teardown request: `teardown-<instance>-<attempt>`. */
export function teardownRequestId(instance: string, attempt: number): string {
  return `teardown-${instance}-${attempt}`;
}

/**
 * Cloud Tasks task id (`[A-Za-z0-9_-]{1,500}`) for the `enqueueCount`-th enqueue of a request:
 * 16 hex of sha256(`<requestId>#<enqueueCount>`) first (Cloud Tasks serves sequential names worse),
 * then the request id with other characters replaced by `-`, then the count. Deterministic, so a
 * repeated enqueue is ALREADY_EXISTS; a re-enqueue (count + 1) is a new task.
 */
export function taskNameFor(requestId: string, enqueueCount: number): string {
  const hash = sha256Hex(`${requestId}#${enqueueCount}`).slice(0, 16);
  const suffix = `-${enqueueCount}`;
  const room = MAX_TASK_ID_LENGTH - hash.length - 1 - suffix.length;
  const readable = requestId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, room);
  return `${hash}-${readable}${suffix}`;
}

/** The KfDef at a commit: `https://raw.githubusercontent.com/<repo>/<commit>/<path>`. */
export function kfDefUrlAt(repo: string, commit: string, kfDefPath: string): string {
  const path = kfDefPath
    .replace(/^\/+/, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `https://raw.githubusercontent.com/${repo}/${commit}/${path}`;
}

/** The instance's IAP endpoint: `https://<instance>.endpoints.<project>.cloud.goog`. */
export function endpointUrl(instance: string, project: string): string {
  return `https://${instance}.endpoints.${project}.cloud.goog`;
}

/** The command that points kubectl at the instance's cluster. */
export function credentialsCommand(instance: string, project: string, zone: string): string {
  return `gcloud --project=${project} container clusters get-credentials --zone=${zone} ${instance}`;
}

const KFCTL_ARCHIVE = /^kfctl_(.+?)_(?:linux|darwin|windows)(?:[_-][a-z0-9_]+)?(?:\.tar\.gz|\.tgz|\.zip)?$/;
const VERSION_LIKE = /^v?\d[A-Za-z0-9._+-]*$/;

/**
 * The kfctl version a download URL names, for the status page:
 * `.../kfctl_v1.0-0-g94c35cf_linux.tar.gz` -> `v1.0-0-g94c35cf`; otherwise the last path segment that
 * looks like a version (`.../download/v1.0/kfctl` -> `v1.0`, `.../kfctl/20200413_0845/linux/kfctl` ->
 * `20200413_0845`); otherwise the URL's last segment.
 */
export function kfctlVersion(kfctlUrl: string): string {
  let pathname: string;
  try {
    pathname = new URL(kfctlUrl).pathname;
  } catch {
    pathname = kfctlUrl.split(/[?#]/)[0] ?? kfctlUrl;
  }
  const segments = pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  const last = segments.at(-1);
  if (last === undefined) return kfctlUrl;
  const archive = KFCTL_ARCHIVE.exec(last);
  if (archive?.[1]) return archive[1];
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    if (segment !== undefined && VERSION_LIKE.test(segment)) return segment;
  }
  return last;
}
