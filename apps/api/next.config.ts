import type { NextConfig } from 'next';

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Native and Node-only modules load from node_modules at run time instead of being bundled.
  serverExternalPackages: ['better-sqlite3', 'pg', 'pino', 'argon2', 'redis', 'nodemailer'],
  // The library is a workspace package; its own tests and typecheck run separately.
  transpilePackages: [],
};

export default config;
