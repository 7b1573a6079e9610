import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests import the library from source, so a change is tested without a rebuild.
const alias = [
  { find: /^gatehouse$/, replacement: `${root}packages/gatehouse/src/index.ts` },
  { find: /^gatehouse\/(.*)$/, replacement: `${root}packages/gatehouse/src/$1/index.ts` },
  { find: /^@\/(.*)$/, replacement: `${root}apps/api/$1` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/gatehouse/src/**/*.test.ts', 'apps/api/test/unit/**/*.test.ts'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: [
            'packages/*/test/integration/**/*.test.ts',
            'apps/api/test/integration/**/*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['apps/api/test/e2e/**/*.test.ts'],
          globalSetup: ['apps/api/test/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
