/**
 * Kubeconfigs for the local API server: the YAML file `npm start` and the CLI write (for kubectl
 * and for KUBECONFIG), and the same as a `KubeConfig` object for in-process clients. Both trust the
 * server's own CA and send its bearer token. Development and tests only: production loads its
 * kubeconfig with loadKubeConfig (functions/adapters/kube-jobs.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { dump as stringifyYaml } from 'js-yaml';

/** What a client needs to reach the server: a KubeServer has all three. */
export interface LocalServerAccess {
  /** `https://host:port`. */
  url: string;
  token: string;
  /** The PEM of the server's CA. */
  caPem: string;
}

const NAME = 'kube-server';

/** A kubeconfig (YAML) whose current context talks to the local server in `namespace`. */
export function renderLocalKubeconfig(server: LocalServerAccess, namespace: string): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: NAME,
        cluster: { server: server.url, 'certificate-authority-data': base64(server.caPem) },
      },
    ],
    users: [{ name: NAME, user: { token: server.token } }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
  });
}

/** A KubeConfig for the local server, `namespace` in its context. */
export function kubeConfigForLocalServer(server: LocalServerAccess, namespace = 'default'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: NAME, server: server.url, caData: base64(server.caPem), skipTLSVerify: false }],
    users: [{ name: NAME, token: server.token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace }],
    currentContext: NAME,
  });
  return kc;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
