/**
 * Benchmark servers run in child processes, so they never share an event loop with the load
 * generator. The parent forks one and waits until it listens; the child answers `cpu` (its own
 * CPU usage, to charge each request its server-side cost) and `stop`.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const profileDir = fileURLToPath(new URL('./results/profiles/', import.meta.url));

/**
 * Forks `script` with the server `name` and resolves once it listens. With `profile` equal to
 * `name`, the server runs under `--cpu-prof`.
 */
export async function forkServer(script, name, { env = {}, profile } = {}) {
  const execArgv = profile === name ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = fork(script, [name], {
    execArgv,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  if (message?.type !== 'ready') throw new Error(`${name} did not start`);

  const cpu = () =>
    new Promise((resolve) => {
      const onMessage = (reply) => {
        if (reply?.type !== 'cpu') return;
        child.off('message', onMessage);
        resolve(reply.usage);
      };
      child.on('message', onMessage);
      child.send('cpu');
    });
  const stop = async () => {
    const exited = once(child, 'exit');
    child.send('stop');
    await exited;
  };
  return { name, origin: `http://127.0.0.1:${message.port}`, cpu, stop };
}

/** The child's side: listen on a free loopback port, tell the parent, answer its messages. */
export function serveToParent(server) {
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'ready', port: server.address().port });
  });

  process.on('message', (message) => {
    if (message === 'cpu') process.send({ type: 'cpu', usage: process.cpuUsage() });
    if (message === 'stop') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
