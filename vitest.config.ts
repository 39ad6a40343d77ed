import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Test tiers by suffix: *.test.ts (pure, fast), *.int.test.ts (real PostgreSQL, Temporal, S3),
// *.e2e.test.ts (browser). Benchmarks live in test/bench and run through `pnpm bench`, never here.
const exclude = ['**/node_modules/**', '**/.svelte-kit/**', '**/build/**'];

export default defineConfig({
  // One graphql module instance for Pothos, yoga and tests (its ESM and CJS builds must not mix).
  resolve: { alias: { graphql: createRequire(new URL('./api/package.json', import.meta.url)).resolve('graphql') } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{api,workflows,prisma,test,web}/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts', '**/*.e2e.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{api,workflows,prisma,test}/**/*.int.test.ts'],
          exclude,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          exclude,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
