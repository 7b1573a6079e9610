import type { Metadata } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';

import { countPageView } from '@/lib/csp';

import './globals.css';

export const metadata: Metadata = {
  title: 'Gatehouse reference API',
  description: 'A small API that uses every Gatehouse layer.',
};

/**
 * Every page is rendered per request: its scripts carry the nonce of the response's CSP, which
 * `proxy.ts` makes for each request. A cached page would hand one nonce to everybody.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const request = await headers();
  // A document load, not a client-side navigation's data request.
  if (request.get('rsc') === null) countPageView();
  return (
    <html lang="en">
      <body>
        <header>
          <a href="/">Gatehouse</a>
          <nav>
            <a href="/notes/new">New note</a>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
