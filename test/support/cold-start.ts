/**
 * The time guard of a test that starts a TypeScript entry point in a child process
 * (`node --import tsx ...`). Such a start transpiles and loads a whole module graph: seconds of CPU,
 * and several times that on a busy 2-core machine (12 to 19 s seen here for the Functions Framework
 * serving functions/index.ts). The guard is there to catch a hang, not to time the start: the tests
 * wait for the child's own signal (a banner line, an exit), and how fast a start is belongs to
 * `npm run bench`.
 */
export const COLD_START_TEST_TIMEOUT_MS = 120_000;
