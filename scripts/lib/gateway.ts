/**
 * The local gateway: serves several HTTP functions, each through the Functions Framework's own
 * server (so requests see what they see in the cloud: rawBody, body parsing, express), on one
 * port at `/<functionName>/...`, the way Cloud Functions URLs look. Bodies are read the way
 * functions/index.ts has them read in the cloud (functions/http/own-body-reader.ts), at the limit of
 * the function of that name, and outside the framework's per-request domain, as functions/index.ts
 * has them served (functions/http/request-domain.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { bodyLimitOf } from '../../functions/http/body-limits.js';
import { readBodiesOurselves, withBodyLimit } from '../../functions/http/own-body-reader.js';
import { outsideRequestDomain } from '../../functions/http/request-domain.js';
import { listenError } from './net.js';

export type HttpHandler = (req: Request, res: Response) => unknown;

export interface Gateway {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

let registrations = 0;

/** Starts the gateway on `host:port` (port 0 = any free port). */
export async function startGateway(
  handlers: Record<string, HttpHandler>,
  options: { port?: number; host?: string } = {},
): Promise<Gateway> {
  readBodiesOurselves();
  const servers = new Map<string, Server>();
  for (const [name, handler] of Object.entries(handlers)) {
    // The framework's registry is global: a unique name lets tests start several gateways.
    const registered = `${name}__gateway${++registrations}`;
    http(
      registered,
      withBodyLimit(
        outsideRequestDomain((req: Request, res: Response) => handler(req, res)),
        bodyLimitOf(name),
      ),
    );
    servers.set(name, getTestServer(registered));
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const [, name = '', ...rest] = url.pathname.split('/');
    const target = servers.get(name);
    if (!target) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `no function at /${name}`, functions: [...servers.keys()] }));
      return;
    }
    if (rest.length === 0 && (req.method === 'GET' || req.method === 'HEAD')) {
      // `/deploymentStatus` -> `/deploymentStatus/`: the pages' links are relative to the function's root.
      res.writeHead(308, { Location: `/${name}/${url.search}` });
      res.end();
      return;
    }
    req.url = `/${rest.join('/')}${url.search}`;
    target.emit('request', req, res);
  });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        listenError(err, host, port, 'is another npm start running? Stop it, or set PORT to a free port.'),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
