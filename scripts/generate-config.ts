import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contentSyncBinding, JURISDICTIONS } from '../contracts/jurisdictions.ts';
import { WORKERS, type WorkerName } from './bundle-workers.ts';

/**
 * `npm run config`: writes the three wrangler configurations from contracts/jurisdictions.ts, the
 * local defaults at the top level and one `[env.<id>]` per row. `--check` (CI) writes nothing and
 * fails when a checked-in file differs from what the table produces.
 */
type Jurisdiction = (typeof JURISDICTIONS)[number];
type Scalar = string | number | boolean | readonly string[];
interface Table {
  // Partial: the tables of one array may have different keys (the dead-letter queue's consumer has none of its own).
  [key: string]: Scalar | Table | readonly Partial<Table>[];
}

/** What one deployment's bindings and vars depend on: a row, or the local defaults of plain `wrangler dev`. */
interface Deployment {
  jurisdiction: Jurisdiction;
  /** Queue names start with it: `kce-us`, or `kce-local`. */
  queuePrefix: string;
  /** Worker names end with it: `-us`, or nothing locally. */
  nameSuffix: string;
  urls: Record<string, string>;
  replicateTo: readonly Jurisdiction[];
}

// Plain `wrangler dev` runs as the first row, with every jurisdiction on its local port.
const local: Deployment = {
  jurisdiction: JURISDICTIONS[0],
  queuePrefix: 'kce-local',
  nameSuffix: '',
  urls: Object.fromEntries(JURISDICTIONS.map((j) => [j.id, `http://localhost:${j.localPort}`])),
  replicateTo: [],
};
const deployments: Deployment[] = JURISDICTIONS.map((j) => ({
  jurisdiction: j,
  queuePrefix: `kce-${j.id}`,
  nameSuffix: `-${j.id}`,
  urls: Object.fromEntries(JURISDICTIONS.map((other) => [other.id, other.url])),
  replicateTo: JURISDICTIONS.filter((other) => other.id !== j.id),
}));

/** Published courses go to every other jurisdiction's content-sync queue. */
const contentSyncProducers = (d: Deployment) => d.replicateTo.map((to) => ({ binding: contentSyncBinding(to.id), queue: `kce-${to.id}-content-sync` }));

/** What every Worker's file has after its own comment: name and entry, runtime, the AWS SDK's XML parser, logs. */
const preamble = (name: string, main: string, nodeModules: string) => `name = "${name}"
main = "${main}"
compatibility_date = "2026-11-01"
compatibility_flags = ["nodejs_compat"]
workers_dev = false

# The AWS SDK's browser build parses XML with DOMParser, which Workers lack; its CommonJS build
# carries a pure-JS parser (S3 ListObjects and error bodies are XML).
[alias]
"@aws-sdk/xml-builder" = "${nodeModules}/@aws-sdk/xml-builder/dist-cjs/index.js"

[observability]
enabled = true
`;

interface WorkerConfig {
  worker: WorkerName;
  /** Hand-written: what every deployment shares. */
  head: string;
  deployment(d: Deployment): Table;
}

const api: WorkerConfig = {
  worker: 'api',
  head: `# The \`api\` Worker: identity, catalog, uploads, playback, notifications; it orchestrates the others.
# Top level = local defaults (\`wrangler dev\` alone); [env.<id>] = one deployment per jurisdiction,
# which also produces to every other jurisdiction's content-sync queue (CONTENT_SYNC_<id>).
# Connection strings and keys are secrets (\`wrangler secret put --env <j>\`); the dev script passes
# local ones through the process environment (see \`secrets.required\`).
# DIRECTORY is the global directory (keyed email hash -> home jurisdiction): ONE namespace shared by
# every jurisdiction. Replace its id with your account's namespace (\`wrangler kv namespace create directory\`).
${preamble('kce-api', 'workers/api/index.ts', './node_modules')}
[assets]
directory = "web/dist"
binding = "ASSETS"
not_found_handling = "single-page-application"
run_worker_first = ["/api/*", "/media/*"]
`,
  deployment: (d) => ({
    secrets: {
      required: ['DATABASE_URL', 'REDIS_REST_URL', 'REDIS_REST_TOKEN', 'S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'JWT_SECRET', 'DIRECTORY_KEY', 'REPLICATION_SOURCES', 'TRANSCODER_CALLBACK_SECRET', 'PAYMENT_SECRET_KEY', 'PAYMENT_WEBHOOK_SECRET'],
    },
    vars: {
      JURISDICTION: d.jurisdiction.id,
      JURISDICTION_URLS: JSON.stringify(d.urls),
      S3_BUCKET: d.jurisdiction.bucket,
      S3_REGION: 'auto',
      NEON_WS_PROXY: '',
      RATE_LIMIT_LOGIN: '20/60s',
      RATE_LIMIT_LOGIN_FAILURES: '5/900s',
      RATE_LIMIT_REGISTER: '10/3600s',
      RATE_LIMIT_LOCATE: '10/600s',
      RATE_LIMIT_ANALYTICS: '120/60s',
      RATE_LIMIT_ANALYTICS_USER: '120/60s',
      VIDEO_MAX_BYTES: '5368709120',
      REPLICATE_TO: d.replicateTo.map((to) => to.id).join(','),
      PAYMENT_SANDBOX_URL: '',
    },
    // Asks the payment provider about orders still pending after 15 minutes (a lost webhook).
    triggers: { crons: ['*/5 * * * *'] },
    kv_namespaces: [{ binding: 'DIRECTORY', id: '6b63652d6469726563746f72792d3031' }],
    services: [
      { binding: 'ANALYTICS', service: `kce-analytics${d.nameSuffix}`, entrypoint: 'AnalyticsService' },
      { binding: 'MEDIA', service: `kce-media${d.nameSuffix}`, entrypoint: 'MediaService' },
    ],
    queues: {
      producers: [
        { binding: 'ANALYTICS_EVENTS', queue: `${d.queuePrefix}-analytics-events` },
        { binding: 'NOTIFICATIONS', queue: `${d.queuePrefix}-notifications` },
        { binding: 'CONTENT_SYNC', queue: `${d.queuePrefix}-content-sync` },
        { binding: 'PAYMENT_EVENTS', queue: `${d.queuePrefix}-payment-events` },
        ...contentSyncProducers(d),
      ],
      consumers: [
        // Verified webhooks, applied one at a time; a slow or absent database makes them wait, never lost.
        { queue: `${d.queuePrefix}-payment-events`, max_batch_size: 50, max_batch_timeout: 1, max_retries: 10, retry_delay: 5, dead_letter_queue: `${d.queuePrefix}-payment-events-dlq` },
        { queue: `${d.queuePrefix}-notifications`, max_batch_size: 25, max_batch_timeout: 2, max_retries: 5, retry_delay: 10, dead_letter_queue: `${d.queuePrefix}-notifications-dlq` },
        { queue: `${d.queuePrefix}-content-sync`, max_batch_size: 10, max_batch_timeout: 5, max_retries: 10, retry_delay: 30, dead_letter_queue: `${d.queuePrefix}-content-sync-dlq` },
      ],
    },
  }),
};

const analytics: WorkerConfig = {
  worker: 'analytics',
  head: `# The \`analytics\` Worker: consumes \`analytics-events\` in batches into ClickHouse and answers
# dashboard queries over RPC (entrypoint \`AnalyticsService\`, bound by \`api\`).
#
# Consumer tuning: ClickHouse wants few, large inserts (thousands of rows, about one a second). A
# message carries one ingest request's events (tens to hundreds), a batch up to 100 messages, and
# waits up to 5 s to fill; one invocation at a time (max_concurrency = 1) keeps inserts in sequence,
# which the insert-time de-duplication relies on. Failures retry with exponential delay (5 s ... ,
# queue.ts) 8 times, then the dead-letter queue, whose consumer writes the events to storage.
${preamble('kce-analytics', 'index.ts', '../../node_modules')}`,
  deployment: (d) => ({
    secrets: { required: ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] },
    vars: {
      JURISDICTION: d.jurisdiction.id,
      CLICKHOUSE_DATABASE: `kce_${d.jurisdiction.id}`,
      S3_BUCKET: d.jurisdiction.bucket,
      S3_REGION: 'auto',
    },
    queues: {
      consumers: [
        { queue: `${d.queuePrefix}-analytics-events`, max_batch_size: 100, max_batch_timeout: 5, max_concurrency: 1, max_retries: 8, retry_delay: 5, dead_letter_queue: `${d.queuePrefix}-analytics-events-dlq` },
        { queue: `${d.queuePrefix}-analytics-events-dlq`, max_batch_size: 100, max_batch_timeout: 5, max_retries: 100, retry_delay: 60 },
      ],
      producers: [{ binding: 'ANALYTICS_EVENTS_DLQ', queue: `${d.queuePrefix}-analytics-events-dlq` }],
    },
    // Recomputes the recommendations' course neighbours from this jurisdiction's events (recommendations.ts).
    triggers: { crons: ['17 * * * *'] },
  }),
};

const media: WorkerConfig = {
  worker: 'media',
  head: `# The \`media\` Worker: consumes \`video-jobs\`, drives the transcoder container, records status (a
# ready video is shown in its lesson: catalog cache bumped, course replicated to every other
# jurisdiction's content-sync queue) and emits notifications. Locally there is no Docker:
# \`TRANSCODER_URL\` points at the transcoder running as a plain Node process and the container class
# is not started. In production a job's chunks run over \`TRANSCODER_INSTANCES\` container instances
# (keep it at most \`max_instances\`; deploy-check verifies). The cron re-dispatches jobs whose lease
# expired (a crashed container) and collects lost callbacks; JOB_COORDINATOR is one Durable Object
# per transcode job, following it with alarms (coordinator.ts).
${preamble('kce-media', 'index.ts', '../../node_modules')}
[dev]
enable_containers = false

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Transcoder"]

[[migrations]]
tag = "v2"
new_sqlite_classes = ["JobCoordinator"]
`,
  deployment: (d) => ({
    secrets: { required: ['DATABASE_URL', 'S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'TRANSCODER_CALLBACK_SECRET', 'REDIS_REST_URL', 'REDIS_REST_TOKEN'] },
    vars: {
      JURISDICTION: d.jurisdiction.id,
      S3_BUCKET: d.jurisdiction.bucket,
      S3_REGION: 'auto',
      NEON_WS_PROXY: '',
      TRANSCODER_URL: '',
      TRANSCODER_INSTANCES: '20',
      PUBLIC_API_URL: d.urls[d.jurisdiction.id] ?? '',
      REPLICATE_TO: d.replicateTo.map((to) => to.id).join(','),
    },
    triggers: { crons: ['* * * * *'] },
    // Built from the repository root: the image copies contracts/ beside transcoder/ (.dockerignore keeps the rest out).
    containers: [{ class_name: 'Transcoder', image: '../../transcoder/Dockerfile', image_build_context: '../..', max_instances: 20, instance_type: 'standard-2' }],
    durable_objects: {
      bindings: [
        { name: 'TRANSCODER', class_name: 'Transcoder' },
        { name: 'JOB_COORDINATOR', class_name: 'JobCoordinator' },
      ],
    },
    queues: {
      producers: [
        { binding: 'NOTIFICATIONS', queue: `${d.queuePrefix}-notifications` },
        { binding: 'VIDEO_JOBS', queue: `${d.queuePrefix}-video-jobs` },
        ...contentSyncProducers(d),
      ],
      consumers: [{ queue: `${d.queuePrefix}-video-jobs`, max_batch_size: 1, max_batch_timeout: 1, max_retries: 5, retry_delay: 30, dead_letter_queue: `${d.queuePrefix}-video-jobs-dlq` }],
    },
  }),
};

const HEADER = '# Generated by scripts/generate-config.ts from contracts/jurisdictions.ts: do not edit. Change those, then `npm run config`.\n';

function render(config: WorkerConfig): string {
  const envs = Object.fromEntries(deployments.map((d) => [d.jurisdiction.id, { name: `kce-${config.worker}${d.nameSuffix}`, ...config.deployment(d) }]));
  return `${HEADER}${config.head}${toml({ ...config.deployment(local), env: envs })}`;
}

/** TOML for the shapes above: a table's own keys under its header, then its tables and arrays of tables. */
function toml(table: Table, path: readonly string[] = [], header = `[${path.join('.')}]`): string {
  const own = Object.entries(table).filter((entry): entry is [string, Scalar] => !isTable(entry[1]) && !isTableArray(entry[1]));
  let text = own.length > 0 ? `\n${path.length > 0 ? `${header}\n` : ''}${own.map(([key, value]) => `${key} = ${scalar(value)}\n`).join('')}` : '';
  for (const [key, value] of Object.entries(table)) {
    const at = [...path, key];
    if (isTable(value)) text += toml(value, at);
    else if (isTableArray(value)) for (const item of value) text += toml(item, at, `[[${at.join('.')}]]`);
  }
  return text;
}

const isTable = (value: Table[string]): value is Table => typeof value === 'object' && !Array.isArray(value);
const isTableArray = (value: Table[string]): value is readonly Table[] => Array.isArray(value) && value.some((item) => typeof item === 'object');

function scalar(value: Scalar): string {
  if (typeof value !== 'string') return typeof value === 'object' ? `[${value.map(scalar).join(', ')}]` : String(value);
  // JSON values read best as TOML literal strings, which need no escapes.
  return value.includes('"') && !/['\n]/.test(value) ? `'${value}'` : JSON.stringify(value);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const config of [api, analytics, media]) {
  const path = WORKERS[config.worker];
  const text = render(config);
  if (readFileSync(`${root}${path}`, 'utf8') === text) continue;
  stale.push(path);
  if (!check) writeFileSync(`${root}${path}`, text);
}
if (check && stale.length > 0) {
  console.error(`Out of date with contracts/jurisdictions.ts: ${stale.join(', ')}. Run \`npm run config\` and commit the result.`);
  process.exitCode = 1;
} else console.log(check ? 'wrangler configurations match contracts/jurisdictions.ts' : stale.length > 0 ? `wrote ${stale.join(', ')}` : 'wrangler configurations already up to date');
