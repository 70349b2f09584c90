/**
 * Kubeconfigs for the local API server: the YAML file `npm start` and the CLI write, and the same
 * as a `KubeConfig` object for in-process clients. Development and tests only: production loads its
 * kubeconfig with loadKubeConfig (functions/adapters/kube-jobs.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as stringifyYaml } from 'yaml';

const NAME = 'kube-server';

/** A kubeconfig (YAML) whose current context talks to the local server over plain HTTP. */
export function renderLocalKubeconfig(url: string, token: string, namespace: string): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: NAME, user: { token } }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
  });
}

/** A KubeConfig for the local API server (plain HTTP, bearer token). */
export function kubeConfigForLocalServer(url: string, token: string, namespace = 'default'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // The client refuses plain http unless skipTLSVerify is set.
    clusters: [{ name: NAME, server: url, skipTLSVerify: true }],
    users: [{ name: NAME, token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace }],
    currentContext: NAME,
  });
  return kc;
}
