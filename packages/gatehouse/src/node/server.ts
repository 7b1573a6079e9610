import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Gatehouse } from '../pipeline/gatehouse.js';
import type { RouteSet } from '../pipeline/route.js';
import { sendWebResponse, toWebRequest } from './adapter.js';
import { createRouter } from './router.js';
import { screenRequest } from './screen.js';

/** Options of the `node:http` adapter. */
export interface NodeListenerOptions {
  /** The public origin requests are addressed to, such as `https://api.example.com`. */
  readonly origin: string;
}

/**
 * A `node:http` request listener that serves route sets through the pipeline; paths no route
 * serves get the pipeline's 404 problem.
 *
 * @example
 * createServer(createNodeListener(gatehouse, [health, notes], { origin: 'http://localhost:3000' }))
 */
export function createNodeListener(
  gatehouse: Gatehouse,
  routeSets: readonly RouteSet[],
  options: NodeListenerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const match = createRouter(routeSets);

  return (req, res) => {
    const refused = screenRequest(req);
    if (refused) {
      void sendWebResponse(res, refused);
      return;
    }

    const request = toWebRequest(req, options.origin);
    const peer = req.socket.remoteAddress;
    const found = match(new URL(request.url).pathname);

    const response = found
      ? gatehouse.handle(found.routes, request, { peer, params: found.params })
      : gatehouse.notFound(request, { peer });

    response.then(
      (web) => {
        // A refused body may still be arriving; close rather than read the rest of it.
        if (!req.complete) res.setHeader('connection', 'close');
        return sendWebResponse(res, web);
      },
      () => res.destroy(),
    );
  };
}
