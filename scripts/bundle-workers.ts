import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const WORKERS = {
  api: 'wrangler.toml',
  analytics: 'workers/analytics/wrangler.toml',
  media: 'workers/media/wrangler.toml',
} as const;
export type WorkerName = keyof typeof WORKERS;

export const OFFLINE_WRANGLER = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' };

/**
 * Bundles a Worker exactly as a deploy would (`wrangler deploy --dry-run`), offline. Containers are
 * not built: that needs Docker, and locally the transcoder runs as a Node process.
 */
export function bundleWorker(worker: WorkerName, env: string, outdir: string): Promise<string> {
  const args = ['deploy', '--dry-run', '--config', WORKERS[worker], '--env', env, '--outdir', outdir, '--containers-rollout=none'];
  return new Promise((resolve, reject) => {
    const child = spawn('wrangler', args, { env: { ...process.env, ...OFFLINE_WRANGLER }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(join(outdir, 'index.js')) : reject(new Error(`wrangler ${args.join(' ')} failed:\n${output}`)),
    );
  });
}

/** `wrangler dev` for one jurisdiction with all three Workers, the api first (it gets the port). */
export function wranglerDevArgs(options: { env: string; port: number; inspectorPort: number; persistTo: string }): string[] {
  return [
    'dev',
    ...Object.values(WORKERS).flatMap((config) => ['--config', config]),
    '--env', options.env,
    '--port', String(options.port),
    '--inspector-port', String(options.inspectorPort),
    '--persist-to', options.persistTo,
    '--show-interactive-dev-session=false',
  ];
}
