import { createNonce } from 'gatehouse/headers';
import { NextResponse, type NextRequest } from 'next/server';

import { leadingPolicy, pageHeaders } from '@/lib/csp';

/**
 * Pages get a fresh nonce and the page profile. Next.js renders its own scripts with the nonce
 * it finds in the request's `Content-Security-Policy` header, so the policy goes on the request
 * (for Next.js) and on the response (for the browser); `x-nonce` hands it to the pages.
 * Whatever a client sent in those request headers is replaced.
 */
export function proxy(request: NextRequest): NextResponse {
  const nonce = createNonce();
  const forwarded = new Headers(request.headers);
  forwarded.set('x-nonce', nonce);
  forwarded.set('content-security-policy', leadingPolicy(nonce));

  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of pageHeaders(nonce, request.nextUrl))
    response.headers.set(name, value);
  return response;
}

export const config = {
  // The API answers through the pipeline, which sets the API profile; static files carry no
  // script to protect and get the shared headers from next.config.
  matcher: ['/((?!api/|_next/static/|_next/image|favicon.ico|\\.well-known/).*)'],
};
