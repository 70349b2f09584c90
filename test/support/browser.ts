/**
 * Headless Chromium for the browser tests: Debian's `chromium` package at /usr/bin/chromium, driven by
 * playwright-core, which never downloads a browser of its own. Without it the tests fail, saying how to
 * install it (they never skip). Screenshots go to test-artifacts/browser/ (gitignored), fresh each run.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where a run's screenshots go (not committed). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'browser');

/** Starts headless Chromium (`path`: Debian's); throws, saying what to install, when it is missing. */
export async function launchChromium(path = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(path)) {
    throw new Error(
      `The browser tests need Chromium at ${path} and it is not there. Install it with: apt-get install -y chromium (as root; .ci/run does it)`,
    );
  }
  return chromium.launch({ executablePath: path, headless: true });
}

/** The path of a screenshot named `name` (a .png in ARTIFACTS_DIR, which is created). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, `${name}.png`);
}

/** Removes the screenshots of an earlier run, so the directory holds this run's only. */
export function clearArtifacts(): void {
  rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
}
