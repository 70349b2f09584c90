/** The task RPCs the emulator serves: CreateTask, GetTask, ListTasks. */
import type { UnaryHandler } from '../lib/grpc-emulator.js';
import type { Dispatcher } from './dispatcher.js';
import { taskToMessage } from './messages.js';
import { paginate } from './pagination.js';
import type { QueueStore } from './queue-store.js';
import { viewOf } from './wire.js';

/** Cloud Tasks' largest ListTasks page. */
const MAX_TASKS_PAGE_SIZE = 1000;

/** Handlers by method name. */
export function taskHandlers(store: QueueStore, dispatcher: Dispatcher): Record<string, UnaryHandler> {
  return {
    CreateTask: (request) => {
      const task = store.createTask(request.parent, request.task);
      // Deferred, so the CreateTask response shows the task as created (not yet dispatched), as Cloud Tasks does.
      dispatcher.schedulePump();
      return taskToMessage(task, viewOf(request.responseView));
    },
    GetTask: (request) => taskToMessage(store.getTask(request.name), viewOf(request.responseView)),
    ListTasks: (request) => {
      const view = viewOf(request.responseView);
      const tasks = store.listTasks(request.parent);
      const { page, nextPageToken } = paginate(
        tasks,
        request.pageSize,
        request.pageToken,
        MAX_TASKS_PAGE_SIZE,
      );
      return { tasks: page.map((task) => taskToMessage(task, view)), nextPageToken };
    },
  };
}
