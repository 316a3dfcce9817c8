import { defineConfig } from 'vitest/config';

// One suite, run twice for database tests: every test file runs on embedded PGlite, and files named
// `*.db.test.ts` run again against real Postgres when TEST_DATABASE_URL is set.
const postgres = process.env.TEST_DATABASE_URL;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true as const,
        test: {
          name: 'pglite',
          include: ['test/**/*.test.ts'],
          env: { MIKEY_TEST_DB: 'pglite' },
          globalSetup: ['test/support/pglite-global-setup.ts'],
        },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/**/*.db.test.ts'],
                env: { MIKEY_TEST_DB: 'postgres' },
                globalSetup: ['test/support/postgres-global-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
