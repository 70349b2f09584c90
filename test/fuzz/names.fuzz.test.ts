/**
 * The names the system builds from what GitHub and the deployments file give it, checked against the
 * rules of the systems that store them: git (`git check-ref-format`, the real binary, as the oracle of
 * branch names), Kubernetes label values (apimachinery's regex, written out here independently of
 * core/names.ts), Firestore document ids, and Cloud Tasks task ids.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { ConfigError, parseDeploymentsConfig } from '../../functions/config.js';
import { deployJobLabels, teardownJobLabels } from '../../functions/core/job-manifest.js';
import {
  branchDocId,
  instanceName,
  isValidBranchName,
  isValidDocumentId,
  isValidLabelValue,
  taskNameFor,
  toLabelValue,
} from '../../functions/core/names.js';
import { fuzzRuns } from './support/fuzz.js';

/** Kubernetes (apimachinery validation.go): a label value is empty or a qualified name part, <= 63. */
const K8S_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const isKubernetesLabelValue = (value: string) => value.length <= 63 && K8S_LABEL_VALUE.test(value);

/** Cloud Tasks: a task id is `[A-Za-z0-9_-]{1,500}`. */
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;

/**
 * git's verdict on `refs/heads/<branch>`, plus what `git branch` refuses besides: a name starting with
 * `-`, `HEAD`, and `@` (which `git branch` reads as HEAD: git-check-ref-format(1) `--branch`).
 */
function gitAcceptsBranch(branch: string): boolean {
  // argv cannot carry NUL; git refuses control characters anyway.
  if (branch.includes('\0') || branch.startsWith('-') || branch === 'HEAD' || branch === '@') return false;
  try {
    execFileSync('git', ['check-ref-format', `refs/heads/${branch}`], { stdio: 'ignore' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('git is not on PATH: this suite needs it');
    return false;
  }
}

/** Pieces of branch names: ordinary ones, and every character and sequence git has a rule about. */
const piece = fc.oneof(
  fc.constantFrom(
    'master',
    'v1.0-branch',
    'release',
    'feature',
    'a',
    'x_y',
    'ünïcode',
    '分支',
    '😀',
    '%2F',
    '%',
  ),
  fc.constantFrom(
    '@',
    '.',
    '..',
    '.lock',
    'lock',
    'HEAD',
    '-',
    '@{',
    '{',
    '}',
    '~',
    '^',
    ':',
    '?',
    '*',
    '[',
    ']',
  ),
  fc.constantFrom('\\', ' ', '\t', '\n', '\x7f', '\x01', '\0', '#', '!', '$', '&', "'", '"', '=', ','),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ unit: 'binary-ascii', maxLength: 3 }),
);

/** Branch names of every shape: pieces joined into components, components joined by `/`. */
const branchName = fc
  .array(
    fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((components) => components.join('/'));

/** Whether a deployments file following `branch` of `repo` loads. */
function isAcceptedBranch(repo: string, branch: string): boolean {
  const version = { name: 'v', repo, branch, kfDefPath: 'a.yaml', kfctlUrl: 'https://example.com/kfctl' };
  try {
    parseDeploymentsConfig(
      JSON.stringify({ project: 'p', zone: 'z', namespace: 'n', versions: [version] }),
      'fuzz',
    );
    return true;
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return false;
  }
}

const repoName = fc.constantFrom('kubeflow/manifests', 'Kubeflow/Manifests', 'a/b', 'some-org/repo.name_x');
const sha = fc.stringMatching(/^[0-9a-f]{40}$/);

describe('names: what git, Kubernetes, Firestore and Cloud Tasks accept', () => {
  it('isValidBranchName agrees with git check-ref-format on branch names of every shape', function () {
    this.timeout(60_000);
    fc.assert(
      fc.property(branchName, (branch) => {
        assert.equal(isValidBranchName(branch), gitAcceptsBranch(branch), JSON.stringify(branch));
      }),
      fuzzRuns(300),
    );
  });

  it('a branch the deployments file accepts has a Firestore document id, and no two share one', () => {
    // Long branches too: git has no length limit, Firestore's ids stop at 1,500 bytes.
    const longBranch = fc.tuple(branchName, fc.nat(1600)).map(([branch, n]) => `${'b'.repeat(n)}${branch}`);
    fc.assert(
      fc.property(repoName, fc.oneof(branchName, longBranch), branchName, (repo, a, b) => {
        fc.pre(isValidBranchName(a) && isValidBranchName(b));
        const [idA, idB] = [branchDocId(repo, a), branchDocId(repo, b)];
        if (isAcceptedBranch(repo, a)) assert.ok(isValidDocumentId(idA), idA);
        else
          assert.ok(!isValidDocumentId(idA), `the file refused ${JSON.stringify(a)} though its id is valid`);
        assert.equal(idA === idB, a === b, `${a} / ${b}`);
      }),
      fuzzRuns(500),
    );
  });

  it('toLabelValue makes any text a valid Kubernetes label value', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'binary' }), branchName),
        (text) => {
          const value = toLabelValue(text);
          assert.ok(isKubernetesLabelValue(value), JSON.stringify(value));
          assert.equal(isValidLabelValue(value), true);
        },
      ),
      fuzzRuns(1000),
    );
  });

  it("every label of a deploy or teardown Job is valid, whatever the branch and the version's name", () => {
    const version = fc.stringMatching(/^[a-z]([-a-z0-9]{0,22}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        version,
        branchName,
        sha,
        fc.date({ noInvalidDate: true }),
        fc.string(),
        (name, branch, commit, at, seed) => {
          const instance = instanceName(name, at, seed);
          const labels = {
            ...deployJobLabels({ version: name, branch, commit, instance }),
            ...teardownJobLabels({ version: name, instance }),
          };
          for (const [key, value] of Object.entries(labels)) {
            assert.ok(isKubernetesLabelValue(value), `${key}=${JSON.stringify(value)}`);
          }
        },
      ),
      fuzzRuns(500),
    );
  });

  it('task names are Cloud Tasks ids for any request id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 800 }), fc.nat(1000), (requestId, count) => {
        assert.match(taskNameFor(requestId, count), TASK_ID);
      }),
      fuzzRuns(500),
    );
  });
});
