// The reference API's production server: Next.js in production mode behind a node:http server
// that hands each request's socket address to the route handlers (Next.js itself does not, and
// the X-Forwarded-For it synthesises keeps whatever a client sent).
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadConfig } from 'gatehouse/config';
import { runWithPeerAddress } from 'gatehouse/next';
import { hideRouterVary, screenRequest, sendWebResponse } from 'gatehouse/node';
import next from 'next';
import pino from 'pino';

const appDir = dirname(fileURLToPath(import.meta.url));
process.env.GATEHOUSE_DATA_DIR ||= resolve(appDir, '../../.data');
process.env.NEXT_TELEMETRY_DISABLED = '1';

const log = pino({
  level: process.env.LOG_LEVEL || 'info',
  base: { service: 'gatehouse-api' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  log.fatal({ code: error.code }, error.message);
  process.exit(2);
}

// instrumentation.ts settles this once the app database is open and migrated.
const started = new Promise((resolve, reject) => {
  globalThis[Symbol.for('gatehouse.api.startup')] = { resolve, reject };
});

const app = next({ dev: false, dir: appDir, port: config.port });
const handle = app.getRequestHandler();
try {
  await app.prepare();
  await started;
} catch (error) {
  // A policy the CSP builder refuses is bad configuration, like a bad variable.
  const code = typeof error?.code === 'string' ? error.code : '';
  if (code.startsWith('ERR_CONFIG')) {
    log.fatal({ code }, error.message);
    process.exit(2);
  }
  log.fatal({ err: error }, 'the app failed to start');
  process.exit(1);
}

const server = createServer((req, res) => {
  const refused = screenRequest(req);
  if (refused) {
    log.info(
      { requestId: refused.headers.get('x-request-id'), status: refused.status },
      'request screened out',
    );
    void sendWebResponse(res, refused);
    return;
  }
  // API answers name no framework: Next.js' client-router tokens stay out of their Vary.
  if (/^\/(?:api|\.well-known)\//.test(req.url ?? '')) hideRouterVary(res);
  runWithPeerAddress(req.socket.remoteAddress, () => handle(req, res));
});

server.listen(config.port, () => {
  log.info(
    { url: config.publicUrl, port: config.port, environment: config.environment },
    'listening',
  );
});

// Work the app registered to finish first (lib/shutdown.ts): the audit log's final checkpoint.
async function finish() {
  const tasks = globalThis[Symbol.for('gatehouse.api.shutdown')] ?? [];
  for (const task of tasks) {
    try {
      await task();
    } catch (error) {
      log.error({ err: error }, 'shutdown task failed');
    }
  }
}

function shutdown(signal) {
  log.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(0), 10_000).unref();
  server.close(() => {
    void finish().finally(() => process.exit(0));
  });
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
