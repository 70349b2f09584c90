/**
 * gRPC status codes the adapters branch on. Firestore's and Cloud Tasks' clients both fail with errors
 * carrying a numeric `code`; the numbers are gRPC's (google.rpc.Code), stable by definition.
 */

/** The entity already exists: a document `create()` found, a task name already used. */
export const GRPC_ALREADY_EXISTS = 6;

/** The numeric gRPC code an error carries, or null. */
export function grpcCodeOf(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

/** True when `error` is gRPC ALREADY_EXISTS. */
export function isAlreadyExists(error: unknown): boolean {
  return grpcCodeOf(error) === GRPC_ALREADY_EXISTS;
}
