/**
 * Naming rules: document ids, Kubernetes label values, version names, git refs.
 * Pure functions; every rule here is shared by validation and by the code that builds names.
 */

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
 * `.lock`-ending component; not `@`, not ending with `.` or `/`.
 */
export function isValidBranchName(branch: string): boolean {
  if (branch === '' || branch === '@' || branch.startsWith('-')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: git forbids control characters in refs.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(branch)) return false;
  if (branch.includes('..') || branch.includes('@{') || branch.endsWith('.')) return false;
  return branch.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
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
