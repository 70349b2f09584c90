/**
 * The HTTP control API of the ClusterManager fake, on its own port (the gRPC port speaks HTTP/2 only).
 * JSON in and out:
 * - `GET /_control/clusters` -> `{clusters: [...]}`
 * - `POST /_control/clusters` `{name, project?, location?, labels?, status?, endpoint?, caCertificatePem?,
 *   createTime?}` -> 201 `{cluster}`; 400 for a bad field, 409 when the name is taken
 * - `DELETE /_control/clusters/NAME?project=P&location=L` (defaults: the emulator's) -> 200 `{cluster}`; 404
 * - `GET /_control/faults`, `POST /_control/faults` `{method?, count?, code, message?}` (or a list),
 *   `DELETE /_control/faults` (the unreachable zones too)
 * - `GET /_control/unreachable-zones`, `PUT /_control/unreachable-zones` `{zones: ["us-east1-c"]}`:
 *   ListClusters leaves those zones' clusters out and names the zones in `missingZones`
 * - `POST /_control/reset`: no clusters, no faults.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorError } from '../lib/grpc-emulator.js';
import { type ClusterSpec, ClusterSpecError } from './cluster-store.js';
import type { ClusterView, ContainerControls } from './controls.js';
import type { FaultSpec } from './faults.js';

const MAX_BODY_BYTES = 1_000_000;

interface Reply {
  status: number;
  body: unknown;
}

interface Route {
  method: string;
  path: RegExp;
  handle(controls: ContainerControls, match: RegExpExecArray, url: URL, body: unknown): Reply;
}

class BadRequest extends Error {
  override name = 'BadRequest';
}

function toClusterSpec(body: unknown): ClusterSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest('The body must be a JSON object such as {"name": "kf-master-0101-abc"}.');
  }
  const { createTime, ...rest } = body as Record<string, unknown>;
  for (const field of ['name', 'project', 'location', 'status', 'endpoint', 'caCertificatePem']) {
    const value = rest[field];
    if (value !== undefined && typeof value !== 'string') throw new BadRequest(`${field} must be a string.`);
  }
  if (typeof rest.name !== 'string') throw new BadRequest('name is required.');
  if (createTime === undefined) return rest as unknown as ClusterSpec;
  const date = new Date(typeof createTime === 'string' ? createTime : Number.NaN);
  if (Number.isNaN(date.getTime())) throw new BadRequest('createTime must be an ISO 8601 date-time.');
  return { ...(rest as unknown as ClusterSpec), createTime: date };
}

const routes: Route[] = [
  {
    method: 'GET',
    path: /^\/_control\/clusters\/?$/,
    handle: (controls) => ({ status: 200, body: { clusters: controls.listClusters() } }),
  },
  {
    method: 'POST',
    path: /^\/_control\/clusters\/?$/,
    handle: (controls, _match, _url, body) => ({
      status: 201,
      body: { cluster: controls.addCluster(toClusterSpec(body)) },
    }),
  },
  {
    method: 'DELETE',
    path: /^\/_control\/clusters\/([^/]+)\/?$/,
    handle: (controls, match, url) => {
      const name = decodeURIComponent(match[1] as string);
      const where = {
        project: url.searchParams.get('project') ?? undefined,
        location: url.searchParams.get('location') ?? undefined,
      };
      const deleted: ClusterView | null = controls.deleteCluster(name, where);
      if (!deleted)
        return { status: 404, body: { error: `No cluster ${name} in ${JSON.stringify(where)}.` } };
      return { status: 200, body: { cluster: deleted } };
    },
  },
  {
    method: 'GET',
    path: /^\/_control\/faults\/?$/,
    handle: (controls) => ({ status: 200, body: { faults: controls.pendingFaults() } }),
  },
  {
    method: 'POST',
    path: /^\/_control\/faults\/?$/,
    handle: (controls, _match, _url, body) => {
      const specs = (Array.isArray(body) ? body : [body]) as FaultSpec[];
      for (const spec of specs) controls.injectFault(spec);
      return { status: 201, body: { faults: controls.pendingFaults() } };
    },
  },
  {
    method: 'DELETE',
    path: /^\/_control\/faults\/?$/,
    handle: (controls) => {
      controls.clearFaults();
      return { status: 200, body: { faults: [] } };
    },
  },
  {
    method: 'GET',
    path: /^\/_control\/unreachable-zones\/?$/,
    handle: (controls) => ({ status: 200, body: { zones: controls.unreachableZones() } }),
  },
  {
    method: 'PUT',
    path: /^\/_control\/unreachable-zones\/?$/,
    handle: (controls, _match, _url, body) => {
      controls.setUnreachableZones((body as { zones?: string[] } | undefined)?.zones as string[]);
      return { status: 200, body: { zones: controls.unreachableZones() } };
    },
  },
  {
    method: 'POST',
    path: /^\/_control\/reset\/?$/,
    handle: (controls) => {
      controls.reset();
      return { status: 200, body: {} };
    },
  },
];

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`The body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not valid JSON.');
  }
}

/** The answer for a thrown error: 400 for a bad request, 409 for a taken name, else 500. */
function errorReply(error: unknown): Reply {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ClusterSpecError) {
    return { status: error.isConflict ? 409 : 400, body: { error: message } };
  }
  // TypeError: a bad fault spec; EmulatorError: a malformed full cluster name.
  if (error instanceof BadRequest || error instanceof TypeError || error instanceof EmulatorError) {
    return { status: 400, body: { error: message } };
  }
  return { status: 500, body: { error: message } };
}

async function answer(controls: ContainerControls, request: http.IncomingMessage): Promise<Reply> {
  const url = new URL(request.url ?? '/', 'http://control');
  const matching = routes.filter((route) => route.path.test(url.pathname));
  const route = matching.find((candidate) => candidate.method === request.method);
  if (!route) {
    if (matching.length === 0) return { status: 404, body: { error: `No control route ${url.pathname}.` } };
    const allowed = matching.map((candidate) => candidate.method).join(', ');
    return { status: 405, body: { error: `${request.method} is not allowed here; use ${allowed}.` } };
  }
  try {
    const body = await readJson(request);
    return route.handle(controls, route.path.exec(url.pathname) as RegExpExecArray, url, body);
  } catch (error) {
    return errorReply(error);
  }
}

/** A started control server. */
export interface ControlServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the control API of `controls` on `host:port` (0 picks a free port). */
export async function startControlServer(
  controls: ContainerControls,
  host: string,
  port: number,
): Promise<ControlServer> {
  const server = http.createServer((request, response) => {
    void answer(controls, request).then((reply) => {
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
