/**
 * The scenario every server implements: `GET /api/health` and `POST /api/notes`, with the
 * requests the load generator sends and the checks that prove the three servers answer alike
 * before any of them is timed.
 */

export const SERVERS = ['bare', 'gatehouse', 'express'];

const JSON_HEADERS = { 'content-type': 'application/json' };

const validNote = {
  title: '  Quarterly planning notes  ',
  body:
    'Agenda: review the roadmap, agree on the rate-limit defaults, and decide who owns the ' +
    'audit log rollout. Follow up with the platform team by Friday.',
};

/** The three request kinds that are timed, each with the one status every response must have. */
export const KINDS = [
  { name: 'health', label: 'GET /api/health', method: 'GET', path: '/api/health', status: 200 },
  {
    name: 'valid',
    label: 'POST /api/notes (valid)',
    method: 'POST',
    path: '/api/notes',
    headers: JSON_HEADERS,
    body: JSON.stringify(validNote),
    status: 201,
  },
  {
    name: 'invalid',
    label: 'POST /api/notes (unknown key)',
    method: 'POST',
    path: '/api/notes',
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...validNote, role: 'admin' }),
    status: 400,
  },
];

const post = (body) => ({ method: 'POST', headers: JSON_HEADERS, body });

/**
 * Behaviour every server must show, so that none of them is fast because it checks less:
 * the contract of `POST /api/notes` (trimmed title 1..200, body up to 10000, strict object).
 */
const CHECKS = [
  { what: 'health', path: '/api/health', status: 200, json: { status: 'ok' } },
  {
    what: 'valid note is echoed, title trimmed',
    path: '/api/notes',
    init: post(JSON.stringify(validNote)),
    status: 201,
    json: { title: validNote.title.trim(), body: validNote.body },
  },
  { what: 'unknown key', path: '/api/notes', init: post(KINDS[2].body), status: 400 },
  { what: 'blank title', path: '/api/notes', init: post('{"title":"   ","body":""}'), status: 400 },
  {
    what: 'title of 201 characters',
    path: '/api/notes',
    init: post(JSON.stringify({ title: 'x'.repeat(201), body: '' })),
    status: 400,
  },
  {
    what: 'body of 10001 characters',
    path: '/api/notes',
    init: post(JSON.stringify({ title: 't', body: 'x'.repeat(10_001) })),
    status: 400,
  },
  { what: 'missing body field', path: '/api/notes', init: post('{"title":"t"}'), status: 400 },
  {
    what: 'title not a string',
    path: '/api/notes',
    init: post('{"title":1,"body":""}'),
    status: 400,
  },
  { what: 'malformed JSON', path: '/api/notes', init: post('{"title":'), status: 400 },
  { what: 'JSON array', path: '/api/notes', init: post('[]'), status: 400 },
];

const { fetch } = globalThis;

/**
 * Runs the behaviour checks against one server; returns the failures (empty when it conforms)
 * and the size of each timed response, for the report.
 */
export async function checkServer(origin) {
  const failures = [];
  for (const check of CHECKS) {
    const response = await fetch(new URL(check.path, origin), check.init);
    const text = await response.text();
    if (response.status !== check.status) {
      failures.push(`${check.what}: expected ${check.status}, got ${response.status}`);
    } else if (check.json && text !== JSON.stringify(check.json)) {
      failures.push(`${check.what}: unexpected body ${text.slice(0, 120)}`);
    }
  }

  const sizes = {};
  for (const kind of KINDS) {
    const init = { method: kind.method, headers: kind.headers, body: kind.body };
    const response = await fetch(new URL(kind.path, origin), init);
    const body = await response.text();
    let headerBytes = 0;
    for (const [name, value] of response.headers) headerBytes += name.length + value.length + 4;
    sizes[kind.name] = {
      headers: [...response.headers.keys()].length,
      headerBytes,
      body: body.length,
    };
  }
  return { failures, sizes };
}
