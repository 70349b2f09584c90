/**
 * gRPC status codes the adapters branch on. Firestore's, Cloud Tasks' and ClusterManager's clients all
 * fail with errors carrying a numeric `code`; the numbers are gRPC's (google.rpc.Code), fixed by the
 * protocol, so they are written out here rather than loaded with a client library.
 */

/** google.rpc.Code names, by number. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const GRPC = Object.fromEntries(CODE_NAMES.map((name, code) => [name, code])) as Record<
  (typeof CODE_NAMES)[number],
  number
>;

/** The entity already exists: a document `create()` found, a task name already used. */
export const GRPC_ALREADY_EXISTS = GRPC.ALREADY_EXISTS;

/** Codes for which a later attempt may succeed (the service, the network, a deadline, contention). */
const TRANSIENT_CODES = new Set<number>([
  GRPC.UNAVAILABLE,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.ABORTED,
  GRPC.INTERNAL,
  GRPC.UNKNOWN,
  GRPC.CANCELLED,
]);

/** The numeric gRPC code an error carries, or null (not a gRPC failure). */
export function grpcCodeOf(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : null;
}

/** True when `error` is gRPC ALREADY_EXISTS. */
export function isAlreadyExists(error: unknown): boolean {
  return grpcCodeOf(error) === GRPC_ALREADY_EXISTS;
}

/** True when a call that failed with `code` may succeed later; false for null (no code). */
export function isTransientGrpcCode(code: number | null): boolean {
  return code !== null && TRANSIENT_CODES.has(code);
}

/** `14 UNAVAILABLE`, for messages (`no gRPC code` for null). */
export function grpcCodeName(code: number | null): string {
  if (code === null) return 'no gRPC code';
  return `${code} ${CODE_NAMES[code] ?? 'UNKNOWN_CODE'}`;
}
