import { defineConfig } from 'vitest/config';

// Tools tests run against built packages (dist), as users get them: no source condition here.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
