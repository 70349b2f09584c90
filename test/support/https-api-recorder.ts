/**
 * A stand-in Kubernetes API server over HTTPS for tests: records the Authorization header of every
 * request and answers each with an empty JobList, so a real client call succeeds.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from './tls-certificates.js';

/** One request as the server received it. */
export interface ApiRequest {
  method: string;
  url: string;
  /** The Authorization header, or null when there was none. */
  authorization: string | null;
}

export interface HttpsApiRecorder {
  /** `127.0.0.1:PORT`: what GKE's GetCluster would report as the endpoint. */
  endpoint: string;
  readonly requests: ApiRequest[];
  /** How many TLS handshakes failed (e.g. the client did not trust the certificate). */
  readonly tlsErrors: number;
  close(): Promise<void>;
}

const EMPTY_JOB_LIST = JSON.stringify({ kind: 'JobList', apiVersion: 'batch/v1', metadata: {}, items: [] });

/** Starts the server on a free port of 127.0.0.1 with `certificates`' server certificate. */
export async function startHttpsApiRecorder(certificates: TestCertificates): Promise<HttpsApiRecorder> {
  const requests: ApiRequest[] = [];
  let tlsErrors = 0;
  const server = https.createServer(
    { cert: certificates.certPem, key: certificates.keyPem },
    (request, response) => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization ?? null,
      });
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(EMPTY_JOB_LIST);
    },
  );
  server.on('tlsClientError', () => {
    tlsErrors += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `127.0.0.1:${port}`,
    requests,
    get tlsErrors() {
      return tlsErrors;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
