/**
 * The log of a made-up pod's container (`kubectl logs job/NAME`, `-c CONTAINER`): nothing runs here, so
 * the log says so, shows what the container would run (its image, command and arguments, from the
 * Job's pod template) and when the pod started and finished, as its Job says. Derived on every request;
 * followed (`kubectl logs -f`), the last line comes when the Job finishes (handlers/pods.ts).
 */
import { isObject, type JsonObject, type KubeJob } from '../types.js';
import type { KubePod } from './job-pods.js';

/** The containers and init containers of a pod template, by name. */
function containersByName(job: KubeJob): Map<string, JsonObject> {
  const template = isObject(job.spec.template) ? job.spec.template : {};
  const spec = isObject(template.spec) ? template.spec : {};
  const all = [spec.initContainers, spec.containers].flatMap((list) => (Array.isArray(list) ? list : []));
  return new Map(all.filter(isObject).map((container) => [String(container.name ?? ''), container]));
}

/** The names kubectl may ask for: the containers, then the init containers (as the API server lists them). */
export function containerNamesOf(job: KubeJob): string[] {
  return [...containersByName(job).keys()];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The log of `container` (a name from containerNamesOf) of `pod`, the pod of `job`. */
export function podLog(job: KubeJob, pod: KubePod, container: string): string {
  return `${podLogStart(job, pod, container)}${podLogEnd(pod)}`;
}

/** The log's lines up to the pod's start: what the container would run. */
export function podLogStart(job: KubeJob, pod: KubePod, container: string): string {
  const spec = containersByName(job).get(container) ?? {};
  const lines = [
    `[local Kubernetes API server] simulated pod ${pod.metadata.name}: no container runs here.`,
    `container ${container}, image ${String(spec.image ?? '')}, would run:`,
    ...[...strings(spec.command), ...strings(spec.args)].map((part) => `  ${part}`),
    `started ${pod.status.startTime}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The log's last line: running, or how the pod ended (as its Job did). */
export function podLogEnd(pod: KubePod): string {
  if (pod.status.phase === 'Running') return 'running: its Job has not finished\n';
  const state = pod.status.containerStatuses[0]?.state;
  const terminated = isObject(state) && isObject(state.terminated) ? state.terminated : {};
  const ended = pod.status.phase === 'Succeeded' ? 'succeeded' : 'failed';
  return `the pod ${ended} at ${String(terminated.finishedAt)}, as its Job did\n`;
}
