import pino, { type Logger } from 'pino';

import { getConfig } from './config';
import { processSingleton } from './process-singleton';

/**
 * The app's structured log: JSON lines on stdout. Credentials never reach it: the pipeline logs
 * no headers or bodies, and these paths are redacted should anything pass one along.
 */
export function getLogger(): Logger {
  return processSingleton('logger', () =>
    pino({
      level: getConfig().logLevel,
      base: { service: 'gatehouse-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'headers.authorization',
          'headers.cookie',
          'headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
    }),
  );
}
