import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { JURISDICTION_IDS } from './contracts/jurisdictions.ts';
import { WORKERS, type WorkerName } from './scripts/bundle-workers.ts';

/**
 * Node-side tests (pure logic, local service adapters) and integration tests inside workerd: the
 * `api` Worker of `us` under test, with every other Worker of every jurisdiction running beside it
 * from its deploy bundle, all against real local services started by the global setup.
 */
const elsewhere = JURISDICTION_IDS.filter((j) => j !== 'us');
export default defineConfig({
  test: {
    // At the root, so it runs in plain Node rather than under the Workers project's module resolution.
    globalSetup: ['test/integration/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/services/**/*.test.ts', 'test/transcoder/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const settings = inject('settings');
            const bundles = inject('bundles');
            const beside = (worker: WorkerName, jurisdiction: string) => {
              const { workerOptions } = unstable_getMiniflareWorkerOptions(WORKERS[worker], jurisdiction, {
                overrides: { enableContainers: false },
              });
              // The bundle is already built: module rules and the source root do not apply to it.
              const { modulesRules: _rules, rootPath: _root, ...options } = workerOptions;
              return {
                ...options,
                name: `kce-${worker}-${jurisdiction}`,
                modules: true,
                scriptPath: bundles[worker],
                modulesRoot: dirname(bundles[worker]),
                bindings: Object.assign({}, workerOptions.bindings, settings[jurisdiction]),
              };
            };
            return {
              wrangler: { configPath: './wrangler.toml', environment: 'us' },
              miniflare: {
                // Short windows, so a test can watch a limit lift.
                bindings: { ...settings.us, CONTROL_URL: inject('controlUrl'), RATE_LIMIT_LOGIN: '10/30s', RATE_LIMIT_LOGIN_FAILURES: '3/15s' },
                serviceBindings: Object.fromEntries(elsewhere.map((j) => [`API_${j}`, `kce-api-${j}`])),
                // Test-only: R2's own notifications and redeliveries arrive on the media Worker's queue.
                queueProducers: { VIDEO_JOBS: { queueName: 'kce-us-video-jobs' } },
                workers: [beside('analytics', 'us'), beside('media', 'us'), ...elsewhere.flatMap((j) => [beside('api', j), beside('analytics', j), beside('media', j)])],
              },
            };
          }),
        ],
        // As in each wrangler.toml: the AWS SDK's browser build parses XML with DOMParser, which workerd lacks.
        resolve: { alias: { '@aws-sdk/xml-builder': fileURLToPath(new URL('./node_modules/@aws-sdk/xml-builder/dist-cjs/index.js', import.meta.url)) } },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One file at a time: they share each jurisdiction's services, and outage drills stop them.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
