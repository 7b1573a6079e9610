import type { Metadata } from 'next';
import type { ReactNode } from 'react';

import './globals.css';

export const metadata: Metadata = {
  title: 'Gatehouse reference API',
  description: 'A small API that uses every Gatehouse layer.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
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
