import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorker, WORKERS, type WorkerName } from './bundle-workers.ts';

/** Proves every Worker still bundles and validates for every jurisdiction, offline. */
const jurisdictions = ['us', 'sa'];
const outRoot = mkdtempSync(join(tmpdir(), 'kce-dry-run-'));
let failed = 0;
for (const jurisdiction of jurisdictions) {
  for (const worker of Object.keys(WORKERS) as WorkerName[]) {
    const label = `wrangler deploy --dry-run: ${worker} --env ${jurisdiction}`;
    try {
      await bundleWorker(worker, jurisdiction, join(outRoot, `${worker}-${jurisdiction}`));
      console.log(`ok   ${label}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${label}\n${String(error)}`);
    }
  }
}
rmSync(outRoot, { recursive: true, force: true });
console.log(`dry-runs: ${jurisdictions.length * 3 - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
