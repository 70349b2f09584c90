/** The benchmark's own way to the local Kubernetes API server: the real client, and plain Job bodies. */
import { BatchV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';

/** A BatchV1Api for the local server (plain http needs skipTLSVerify). */
export function benchBatchApi(url: string, token: string): BatchV1Api {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'bench', server: url, skipTLSVerify: true }],
    users: [{ name: 'bench', token }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  });
  return kc.makeApiClient(BatchV1Api);
}

/** A minimal valid Job (the server checks the pod template) with `labels`. */
export function plainJob(name: string, labels: Record<string, string>): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
    },
  };
}
