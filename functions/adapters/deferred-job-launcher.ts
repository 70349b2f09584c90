/**
 * A JobLauncher whose Kubernetes client is built on first use by an async step (GKE credentials from
 * ADC need a GetCluster call and a token). A failed build is not remembered: the next call tries again,
 * so a transient GCP error costs one retry of the task, not the instance.
 */
import type { JobLauncher } from '../core/ports.js';

export function deferredJobLauncher(build: () => Promise<JobLauncher>): JobLauncher {
  let launcher: Promise<JobLauncher> | null = null;
  const ready = (): Promise<JobLauncher> => {
    launcher ??= build().catch((err: unknown) => {
      launcher = null;
      throw err;
    });
    return launcher;
  };
  return {
    createJob: async (namespace, manifest) => (await ready()).createJob(namespace, manifest),
    listJobs: async (namespace, labels) => (await ready()).listJobs(namespace, labels),
    deleteJob: async (namespace, name) => (await ready()).deleteJob(namespace, name),
  };
}
