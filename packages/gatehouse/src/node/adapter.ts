import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Converts a Node.js request into a Web `Request`. The URL is built from the configured public
 * origin and the request's path only: the `Host` header and absolute-form targets are never used,
 * so a client cannot make the server believe it lives elsewhere.
 */
export function toWebRequest(req: IncomingMessage, origin: string): Request {
  const target = req.url ?? '/';
  const path = target.startsWith('/') ? target : '/';
  const url = new URL(path, origin);

  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    if (name !== undefined && value !== undefined && !name.startsWith(':')) {
      headers.append(name, value);
    }
  }

  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const controller = new AbortController();
  req.once('close', () => {
    if (!req.complete) controller.abort();
  });

  return new Request(url, {
    method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  });
}

// Bodies up to this size are sent whole, with a Content-Length; longer ones stream chunked.
const BUFFERED_BODY_LIMIT = 64 * 1024;

/**
 * Writes a Web `Response` to a Node.js response. A short body (the usual JSON answer) goes out in
 * one write with a `Content-Length`; a longer one streams as it is produced.
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);

  if (response.body === null) {
    res.end();
    return;
  }

  const reader = response.body.getReader();
  try {
    const head: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        if (!res.hasHeader('content-length')) res.setHeader('content-length', size);
        res.end(head.length === 1 ? head[0] : Buffer.concat(head));
        return;
      }
      head.push(value);
      size += value.byteLength;
      if (size > BUFFERED_BODY_LIMIT) break;
    }

    for (const chunk of head) res.write(chunk);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}
