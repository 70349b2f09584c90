/** Thrown by in-process control calls on a missing Job or a bad fault. */
export class KubeServerError extends Error {
  override name = 'KubeServerError';
}
