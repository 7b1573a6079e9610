/**
 * One benchmark server, run in its own child process: `node servers.mjs <bare|gatehouse|express>`.
 * It listens on a random port of 127.0.0.1, reports the port to its parent over IPC, answers
 * CPU-usage questions, and exits cleanly on 'stop' (so that `--cpu-prof` writes its profile).
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

import { z } from 'zod';
import { serveToParent } from '../child-server.mjs';

const MAX_BODY = 100_000;
const { Response } = globalThis;

/** The schema Gatehouse and the Express stack validate with, as in the reference API. */
const NoteInput = z.strictObject({
  title: z.string().trim().min(1, 'Give the note a title.').max(200),
  body: z.string().max(10_000),
});

/** The floor: node:http by hand, JSON.parse and a few typeof checks. */
function bare() {
  const send = (res, status, value) => {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const createNote = (req, res) => {
    if (req.headers['content-type'] !== 'application/json')
      return send(res, 415, { error: 'media' });
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        send(res, 413, { error: 'too large' });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      let note;
      try {
        note = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: 'malformed JSON' });
      }
      const valid =
        typeof note === 'object' &&
        note !== null &&
        !Array.isArray(note) &&
        Object.keys(note).length === 2 &&
        typeof note.title === 'string' &&
        typeof note.body === 'string';
      const title = valid ? note.title.trim() : '';
      if (!valid || title.length < 1 || title.length > 200 || note.body.length > 10_000) {
        return send(res, 400, { error: 'invalid note' });
      }
      send(res, 201, { title, body: note.body });
    });
  };

  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/api/health') return send(res, 200, { status: 'ok' });
    if (req.method === 'POST' && req.url === '/api/notes') return createNote(req, res);
    send(res, 404, { error: 'not found' });
  });
}

/** The library under test: the node:http adapter, the pipeline and the validation layer. */
async function gatehouse() {
  const { createGatehouse, defineRoutes, route } = await import('gatehouse/pipeline');
  const { createNodeListener } = await import('gatehouse/node');

  const health = defineRoutes('/api/health', {
    GET: route({
      access: 'public',
      rateLimit: 'api',
      handler: () => Response.json({ status: 'ok' }),
    }),
  });
  const notes = defineRoutes('/api/notes', {
    POST: route({
      access: 'public',
      rateLimit: 'api-write',
      audit: 'note.create',
      body: NoteInput,
      handler: ({ body }) => Response.json(body, { status: 201 }),
    }),
  });

  const listener = createNodeListener(createGatehouse(), [health, notes], {
    origin: 'http://127.0.0.1',
  });
  return createServer(listener);
}

/** The stack assembled by hand today: Express 5, body parser, helmet, cors and a zod check. */
async function express() {
  const { default: express } = await import('express');
  const { default: helmet } = await import('helmet');
  const { default: cors } = await import('cors');

  const app = express();
  app.use(helmet());
  app.use(cors());
  app.use(express.json({ limit: '100kb' }));

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/api/notes', (req, res) => {
    const result = NoteInput.safeParse(req.body);
    if (!result.success) {
      res.status(400).json({ issues: result.error.issues });
      return;
    }
    res.status(201).json(result.data);
  });
  // Body-parser refusals (malformed JSON, too large) as JSON, without a stack trace on stderr.
  app.use((error, _req, res, _next) => {
    res.status(error.status ?? 500).json({ error: error.type ?? 'internal' });
  });

  return createServer(app);
}

const builders = { bare, gatehouse, express };
const name = process.argv[2];
if (!Object.hasOwn(builders, name) || !process.send) {
  console.error(`usage: forked with IPC, node servers.mjs <${Object.keys(builders).join('|')}>`);
  process.exit(2);
}

serveToParent(await builders[name]());
