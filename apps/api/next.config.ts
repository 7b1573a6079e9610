import { SECURITY_HEADERS } from 'gatehouse/headers';
import type { NextConfig } from 'next';

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Native and Node-only modules load from node_modules at run time instead of being bundled.
  serverExternalPackages: ['better-sqlite3', 'pg', 'pino', 'argon2', 'redis', 'nodemailer'],
  // The library is a workspace package; its own tests and typecheck run separately.
  transpilePackages: [],
  // Static files (scripts, styles, the favicon) get the shared security headers; pages get them
  // with their CSP from proxy.ts, and API answers with the API profile from the pipeline.
  async headers() {
    const headers = SECURITY_HEADERS.map(([key, value]) => ({ key, value }));
    return [
      { source: '/_next/static/:path*', headers },
      { source: '/favicon.ico', headers },
    ];
  },
};

export default config;
