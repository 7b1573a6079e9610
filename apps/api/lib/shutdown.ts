/**
 * Work to finish before the process exits (the audit log's final checkpoint). The production
 * server runs it on SIGTERM and SIGINT; the registry lives on `globalThis` because the server and
 * the bundled app load separate copies of this module.
 */
const KEY = Symbol.for('gatehouse.api.shutdown');

type Task = () => Promise<void>;

function tasks(): Task[] {
  const global = globalThis as { [KEY]?: Task[] };
  global[KEY] ??= [];
  return global[KEY];
}

/** Registers work the server awaits before it exits. */
export function onShutdown(task: Task): void {
  tasks().push(task);
}
