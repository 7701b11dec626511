import { defineConfig } from 'vitest/config';

// Tests read sibling packages from their TypeScript sources through the
// "@globalmcp/source" export condition (also set in tsconfig.base.json and in
// every package's "exports"), so a test never runs against a stale build.
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@globalmcp/source'] },
  ssr: { resolve: { conditions: ['@globalmcp/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
