import { defineConfig } from 'vitest/config';

/**
 * `vitest run --config vitest.browser.config.ts`: the SPA in Debian's Chromium against the real
 * local platform, started once by the global setup (see test/browser/harness.ts).
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/browser/global-setup.ts'],
    // One file at a time: they share the platform's data and one machine's CPU with real video playback.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The global setup builds the SPA, starts both jurisdictions and transcodes two videos.
    teardownTimeout: 60_000,
  },
});
