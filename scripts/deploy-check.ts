import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unstable_readConfig } from 'wrangler';
import { JURISDICTION_IDS } from '../contracts/jurisdictions.ts';
import { bundleWorker, WORKERS, type WorkerName } from './bundle-workers.ts';

/** A job's chunks go to `TRANSCODER_INSTANCES` instances: more than the containers allow would wait for ever. */
function checkTranscoderPool(jurisdiction: string): void {
  const config = unstable_readConfig({ config: WORKERS.media, env: jurisdiction });
  const instances = Number(config.vars.TRANSCODER_INSTANCES);
  const max = config.containers?.find((container: { class_name: string; max_instances?: number }) => container.class_name === 'Transcoder')?.max_instances;
  if (!Number.isInteger(instances) || instances < 1 || max === undefined || instances > max) {
    throw new Error(`TRANSCODER_INSTANCES (${String(config.vars.TRANSCODER_INSTANCES)}) must be a positive integer at most the Transcoder's max_instances (${String(max)})`);
  }
}

/** The local payment sandbox stands in for a provider only on a developer machine, never in a deployment. */
function checkNoPaymentSandbox(jurisdiction: string): void {
  const sandbox = unstable_readConfig({ config: WORKERS.api, env: jurisdiction }).vars.PAYMENT_SANDBOX_URL;
  if (sandbox) throw new Error(`PAYMENT_SANDBOX_URL is set (${String(sandbox)}): a deployment takes payments from its provider, never the local sandbox`);
}

/** Proves every Worker still bundles and validates for every jurisdiction of contracts/jurisdictions.ts, offline. */
const outRoot = mkdtempSync(join(tmpdir(), 'kce-dry-run-'));
let failed = 0;
for (const jurisdiction of JURISDICTION_IDS) {
  for (const worker of Object.keys(WORKERS) as WorkerName[]) {
    const label = `wrangler deploy --dry-run: ${worker} --env ${jurisdiction}`;
    try {
      await bundleWorker(worker, jurisdiction, join(outRoot, `${worker}-${jurisdiction}`));
      if (worker === 'media') checkTranscoderPool(jurisdiction);
      if (worker === 'api') checkNoPaymentSandbox(jurisdiction);
      console.log(`ok   ${label}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${label}\n${String(error)}`);
    }
  }
}
rmSync(outRoot, { recursive: true, force: true });
console.log(`dry-runs: ${JURISDICTION_IDS.length * Object.keys(WORKERS).length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
