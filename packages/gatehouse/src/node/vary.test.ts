import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { describe, expect, it } from 'vitest';

import { hideRouterVary } from './vary.js';

async function varyOf(write: (res: ServerResponse) => void): Promise<string | null> {
  const server = createServer((_req, res) => {
    hideRouterVary(res);
    write(res);
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/api/x`);
    return response.headers.get('vary');
  } finally {
    server.close();
  }
}

describe('hideRouterVary', () => {
  it("drops Next.js' router tokens and keeps the others", async () => {
    const vary = await varyOf((res) =>
      res.setHeader('Vary', 'rsc, next-router-state-tree, Next-Router-Prefetch, Accept-Encoding'),
    );
    expect(vary).toBe('Accept-Encoding');
  });

  it('sends no Vary when only router tokens were set, in any form', async () => {
    expect(await varyOf((res) => res.setHeader('vary', ['RSC', 'next-url']))).toBeNull();
  });

  it('leaves other headers alone', async () => {
    const vary = await varyOf((res) => {
      res.setHeader('x-next', 'rsc');
      res.setHeader('vary', 'Origin, origin');
    });
    expect(vary).toBe('Origin, origin');
  });
});
