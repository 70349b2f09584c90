/**
 * Loads a gRPC service definition from the protos a Google client package ships
 * (`<package>/build/protos`), plus the common Google protos of google-gax, for the local gRPC emulators.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { grpc } from 'google-gax';

/** Which service to load, and from which package's protos. */
export interface GrpcServiceSource {
  /** The npm package that ships the protos under `build/protos`, e.g. `@google-cloud/tasks`. */
  packageName: string;
  /** The proto file, relative to `build/protos`, e.g. `google/cloud/tasks/v2/cloudtasks.proto`. */
  protoFile: string;
  /** The fully qualified service name, e.g. `google.cloud.tasks.v2.CloudTasks`. */
  serviceName: string;
}

/** The directory of an installed package (the one holding its package.json). */
export function packageRoot(packageName: string): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve(packageName));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === packageName) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package root of ${packageName}: is it installed?`);
    dir = parent;
  }
}

const cache = new Map<string, grpc.ServiceDefinition>();

/**
 * The service definition of `source.serviceName`, loaded once per process. Messages decode with
 * proto-loader's `{longs: String, enums: String, defaults: true, oneofs: true}`: camelCase fields,
 * scalars filled with their defaults, unset messages null.
 */
export function loadGrpcService(source: GrpcServiceSource): grpc.ServiceDefinition {
  const key = `${source.packageName}:${source.protoFile}:${source.serviceName}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const definition = protoLoader.loadSync(source.protoFile, {
    includeDirs: [
      path.join(packageRoot(source.packageName), 'build', 'protos'),
      path.join(packageRoot('google-gax'), 'build', 'protos'),
    ],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  // biome-ignore lint/suspicious/noExplicitAny: loadPackageDefinition returns an untyped namespace tree.
  let node: any = grpc.loadPackageDefinition(definition);
  for (const part of source.serviceName.split('.')) node = node?.[part];
  if (!node?.service) {
    throw new Error(`${source.protoFile} of ${source.packageName} defines no service ${source.serviceName}.`);
  }
  const service = node.service as grpc.ServiceDefinition;
  cache.set(key, service);
  return service;
}
