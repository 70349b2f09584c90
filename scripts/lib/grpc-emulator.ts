/**
 * What the local gRPC emulators (scripts/tasks-emulator, scripts/container-emulator) share: an error
 * that carries a gRPC status, unary handlers that turn it into the call's status, UNIMPLEMENTED for
 * every method an emulator does not serve, and starting/stopping the plaintext server.
 */
import { grpc } from 'google-gax';

/** Structured log entry; `severity` follows Cloud Logging. */
export type LogEntry = Record<string, unknown>;

/** A request refused with a gRPC status; handlers throw it and the caller receives `code` and `message`. */
export class EmulatorError extends Error {
  override name = 'EmulatorError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** INVALID_ARGUMENT with `message`. */
export const invalidArgument = (message: string) => new EmulatorError(grpc.status.INVALID_ARGUMENT, message);
/** NOT_FOUND with `message`. */
export const notFound = (message: string) => new EmulatorError(grpc.status.NOT_FOUND, message);
/** ALREADY_EXISTS with `message`. */
export const alreadyExists = (message: string) => new EmulatorError(grpc.status.ALREADY_EXISTS, message);

// biome-ignore lint/suspicious/noExplicitAny: requests are untyped objects decoded by proto-loader.
export type AnyRequest = any;

/** Answers one unary call: returns the response message or throws (an {@link EmulatorError} for a status). */
export type UnaryHandler = (request: AnyRequest) => unknown;

/** What {@link buildServiceImplementation} needs. */
export interface ServiceImplementationOptions {
  service: grpc.ServiceDefinition;
  /** Short service name for messages, e.g. `CloudTasks`. */
  serviceLabel: string;
  /** For messages, e.g. `tasks emulator`. */
  emulatorName: string;
  /** Handlers by method name as the proto spells it (`CreateTask`). */
  handlers: Record<string, UnaryHandler>;
  log: (entry: LogEntry) => void;
}

function wrapUnary(method: string, handle: UnaryHandler, log: (entry: LogEntry) => void) {
  return (call: grpc.ServerUnaryCall<AnyRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      if (error instanceof EmulatorError) {
        log({
          severity: 'DEBUG',
          message: 'rpc rejected',
          method,
          code: grpc.status[error.code],
          error: error.message,
        });
        callback({ code: error.code, details: error.message, metadata: new grpc.Metadata() });
      } else {
        log({ severity: 'ERROR', message: 'rpc failed', method, error: String(error) });
        callback({ code: grpc.status.INTERNAL, details: String(error), metadata: new grpc.Metadata() });
      }
    }
  };
}

/**
 * The server-side implementation of `service`: each handler wrapped so that an {@link EmulatorError}
 * becomes the call's status (anything else INTERNAL), and every other unary method answering
 * UNIMPLEMENTED with a message that names the methods the emulator does serve.
 * Throws when a handler names a method the service does not have (a typo would otherwise go unseen).
 */
export function buildServiceImplementation(
  options: ServiceImplementationOptions,
): grpc.UntypedServiceImplementation {
  const { service, serviceLabel, emulatorName, handlers, log } = options;
  const served = Object.keys(handlers);
  const unknown = served.filter((method) => !(method in service));
  if (unknown.length > 0) throw new Error(`${serviceLabel} has no method ${unknown.join(', ')}.`);
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    if (definition.requestStream || definition.responseStream) continue; // grpc-js answers UNIMPLEMENTED
    const handle =
      handlers[method] ??
      (() => {
        throw new EmulatorError(
          grpc.status.UNIMPLEMENTED,
          `${serviceLabel}.${method} is not implemented by the ${emulatorName}; it serves ${served.join(', ')}.`,
        );
      });
    implementation[method] = wrapUnary(method, handle, log);
  }
  return implementation;
}

/** A started plaintext gRPC server. */
export interface RunningGrpcServer {
  server: grpc.Server;
  port: number;
  /** `host:port`, IPv6 hosts in brackets (`[::1]:8123`), the value for a `*_EMULATOR_HOST` variable. */
  address: string;
}

/** Serves `implementation` of `service` without TLS on `host:port` (port 0 picks a free one). */
export async function startGrpcServer(options: {
  host: string;
  port: number;
  service: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}): Promise<RunningGrpcServer> {
  const server = new grpc.Server();
  server.addService(options.service, options.implementation);
  const bindHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${bindHost}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return { server, port, address: `${bindHost}:${port}` };
}

/** Lets calls in progress finish, then closes; forces the shutdown after `forceAfterMs`. */
export function shutdownGrpcServer(server: grpc.Server, forceAfterMs = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), forceAfterMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** The default log sink of the emulators: one JSON line per entry on stdout. */
export function writeJsonLine(entry: LogEntry): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}
