/**
 * The `jobSeconds` setting: how long the local server lets a Job run before completing it by itself.
 * One parser for its two sources: `--job-seconds` (CLI) and `LOCAL_JOB_SECONDS` (`npm start`).
 */

/** What `npm start` uses when LOCAL_JOB_SECONDS is unset: long enough to watch a Job run. */
export const DEFAULT_LOCAL_JOB_SECONDS = 30;

/**
 * `text` as a number of seconds >= 0 (0 = Jobs never finish by themselves); `fallback` when it is
 * unset or blank. Throws an error naming `source` that says what to write otherwise.
 */
export function parseJobSeconds(text: string | undefined, source: string, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error(
      `${source}: must be a number of seconds after which Jobs complete by themselves, 0 for never (got ${JSON.stringify(text)})`,
    );
  return seconds;
}
