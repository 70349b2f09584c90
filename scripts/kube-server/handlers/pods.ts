/**
 * `/api/v1/namespaces/NS/pods` and `/api/v1/pods`: list the pods of the Jobs (GET), and
 * `/api/v1/namespaces/NS/pods/NAME`: one of them (see resources/job-pods.ts), and `.../NAME/log`: its log.
 */
import { listReply, objectReply } from '../resource-reply.js';
import { podOfJob, podsOfJobs } from '../resources/job-pods.js';
import { containerNamesOf, podLog, podLogEnd, podLogStart } from '../resources/pod-log.js';
import { POD_TYPE } from '../resources/pod-type.js';
import { queryFlag, type Reply, type Route, type ServerContext } from '../route.js';
import { badRequest, objectNotFound } from '../status-error.js';
import type { KubeJob } from '../types.js';
import { isWatch, perJob, watchReply } from '../watch.js';

export const podsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods\/?$/,
  GET: (request, context) =>
    isWatch(request)
      ? watchReply(POD_TYPE, request, context, request.params[0] || undefined, perJob(podOfJob))
      : listReply(
          POD_TYPE,
          podsOfJobs(context.store.list(request.params[0] || undefined)),
          request,
          context.store.resourceVersion,
          context.now(),
        ),
};

export const podRoute: Route = {
  path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/?$/,
  GET: (request, context) => {
    const [namespace, name] = request.params as [string, string];
    const pod = podsOfJobs(context.store.list(namespace)).find(
      (candidate) => candidate.metadata.name === name,
    );
    if (!pod) throw objectNotFound('pods', '', name);
    return objectReply(POD_TYPE, pod, request, context.now());
  },
};

/**
 * A followed log of a running pod (`kubectl logs -f`): its start at once, its last line when its Job
 * finishes (or that it was deleted), then the end, as a container's log ends when it exits.
 */
function followedLog(context: ServerContext, job: KubeJob, container: string): Reply['textStream'] {
  const { namespace, name, uid } = job.metadata;
  return {
    start: (write, end) => {
      let stop = () => {};
      const finish = (text: string) => {
        stop();
        write(text);
        end();
      };
      const seen = (current: KubeJob | undefined) => {
        const pod = current && current.metadata.uid === uid ? podOfJob(current) : null;
        if (!pod) finish('the pod was deleted with its Job\n');
        else if (pod.status.phase !== 'Running') finish(podLogEnd(pod));
      };
      const pod = podOfJob(job);
      if (pod) write(podLogStart(job, pod, container));
      stop = context.store.changes.subscribe('', (change) => {
        if (change.job.metadata.uid === uid) seen(change.type === 'DELETED' ? undefined : change.job);
      });
      // The Job may have changed between the request and now.
      seen(context.store.get(namespace, name));
      return stop;
    },
  };
}

/**
 * `/api/v1/namespaces/NS/pods/NAME/log?container=C`: the made-up pod's log as plain text
 * (resources/pod-log.ts); without `container`, the pod's only container (400 when it has several, as
 * the API server answers). With `follow`, a running pod's log stays open until its Job finishes.
 */
export const podLogRoute: Route = {
  path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log\/?$/,
  GET: (request, context) => {
    const [namespace, name] = request.params as [string, string];
    const job = context.store
      .list(namespace)
      .find((candidate) => podOfJob(candidate)?.metadata.name === name);
    const pod = job ? podOfJob(job) : null;
    if (!job || !pod) throw objectNotFound('pods', '', name);
    const names = containerNamesOf(job);
    const asked = request.url.searchParams.get('container');
    const container = asked ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    if (queryFlag(request, 'follow') && pod.status.phase === 'Running')
      return { code: 200, body: null, textStream: followedLog(context, job, container) };
    return { code: 200, body: null, text: podLog(job, pod, container) };
  },
};
