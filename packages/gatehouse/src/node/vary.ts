import type { ServerResponse } from 'node:http';

/** Vary tokens of Next.js' client router: `RSC`, `Next-Router-State-Tree`, `Next-Url`... */
const ROUTER_TOKENS = /^(?:rsc|next-[a-z-]+)$/i;

/**
 * Keeps a framework's client-router tokens out of the `Vary` header of one response, leaving
 * the others (`Accept-Encoding`, `Origin`). For API answers: they never vary on those request
 * headers, and the tokens would name the framework behind the API. Next.js sets `Vary` after
 * the route handler returns, so only the Node response can be filtered.
 *
 * @example
 * if (req.url?.startsWith('/api/')) hideRouterVary(res);
 */
export function hideRouterVary(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    if (name.toLowerCase() !== 'vary') return setHeader(name, value);
    const tokens = (Array.isArray(value) ? value : [String(value)])
      .flatMap((line) => line.split(','))
      .map((token) => token.trim())
      .filter((token) => token !== '' && !ROUTER_TOKENS.test(token));
    if (tokens.length === 0) {
      res.removeHeader('vary');
      return res;
    }
    return setHeader(name, [...new Set(tokens)].join(', '));
  };
}
