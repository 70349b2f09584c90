/** The queue RPCs the emulator serves: CreateQueue, DeleteQueue, PauseQueue, ResumeQueue. */
import type { UnaryHandler } from '../lib/grpc-emulator.js';
import type { Dispatcher } from './dispatcher.js';
import { queueToMessage } from './messages.js';
import type { QueueStore } from './queue-store.js';

/** Handlers by method name. */
export function queueHandlers(store: QueueStore, dispatcher: Dispatcher): Record<string, UnaryHandler> {
  return {
    CreateQueue: (request) => queueToMessage(store.createQueue(request.parent, request.queue)),
    DeleteQueue: (request) => {
      store.deleteQueue(request.name);
      dispatcher.pump();
      return {};
    },
    PauseQueue: (request) => {
      const queue = store.setQueueState(request.name, 'PAUSED');
      dispatcher.pump();
      return queueToMessage(queue);
    },
    ResumeQueue: (request) => {
      const queue = store.setQueueState(request.name, 'RUNNING');
      dispatcher.pump();
      return queueToMessage(queue);
    },
  };
}
