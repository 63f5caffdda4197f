import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateClickHouse } from './migrate-clickhouse.ts';
import { migratePostgres } from './migrate-postgres.ts';
import { startClickHouse, type LocalClickHouse } from './services/clickhouse.ts';
import { startPostgres, type LocalPostgres } from './services/postgres.ts';
import { startRedis, type LocalRedis } from './services/redis.ts';
import { startS3, type LocalS3 } from './services/s3.ts';
import { startTranscoder, type LocalTranscoder } from './services/transcoder.ts';
import { startPaymentSandbox, type PaymentSandbox } from './services/payment-sandbox.ts';
import { jurisdictionById } from '../contracts/jurisdictions.ts';

export interface PlatformOptions {
  jurisdictions: readonly string[];
  /** Public base URL of each jurisdiction's API, for `wrong_jurisdiction` answers. */
  baseUrls: Record<string, string>;
  /** Persist state here (dev); in memory or temporary when absent (tests). */
  dataDir?: string;
  /** A real PostgreSQL server to create the databases on; embedded PGlite when absent. */
  databaseUrl?: string;
  /** A real ClickHouse server; embedded chdb when absent. */
  clickhouseUrl?: string;
  /** Tests: put a server named by `clickhouseUrl` behind a door its outage drills can close. */
  clickhouseOutageDrills?: boolean;
  /** Prefix of database names, so test runs never meet dev data on a shared server. */
  namePrefix: string;
  /** Drop the server databases on stop (tests). */
  temporary?: boolean;
  /**
   * The payment sandbox POSTs its webhooks to each jurisdiction's base URL (dev, browser tests);
   * without, it only holds them for the test to deliver (integration tests, whose Workers have no port).
   */
  deliverPaymentWebhooks?: boolean;
}

export interface LocalPlatform {
  /** Per jurisdiction: the settings its Workers read (secrets and local overrides of vars). */
  settings: Record<string, Record<string, string>>;
  /** What runs where, for the start-up table. */
  services: Array<{ service: string; url: string }>;
  /** Every jurisdiction's database behind one Neon proxy, whose drills take them all down at once. */
  postgres: LocalPostgres;
  /** One S3 server, a bucket per jurisdiction. */
  s3: LocalS3;
  redis: Record<string, LocalRedis>;
  /** One ClickHouse for every jurisdiction (a database each). */
  clickhouse: LocalClickHouse;
  transcoder: LocalTranscoder;
  /** Stands in for Stripe and Moyasar: never a deployment's (the configuration refuses it there). */
  paymentSandbox: PaymentSandbox;
  stop(): Promise<void>;
}

/**
 * Starts every backing service on free loopback ports: one database, Redis and bucket per
 * jurisdiction, one ClickHouse database per jurisdiction, and the transcoder; then migrates.
 */
export async function startPlatform(options: PlatformOptions): Promise<LocalPlatform> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch((error) => console.error(error));
  };
  const dir = (name: string) => (options.dataDir ? join(options.dataDir, name) : undefined);
  try {
    const databaseNames = options.jurisdictions.map((j) => `${options.namePrefix}${j}`);
    const secrets = localSecrets(options.jurisdictions, options.dataDir);
    const [postgres, s3, clickhouse, transcoder] = await Promise.all([
      startPostgres({ databaseUrl: options.databaseUrl, dataDir: dir('postgres'), databases: databaseNames, temporary: options.temporary }),
      startS3({ dataDir: dir('s3'), buckets: options.jurisdictions.map((j) => `kce-${j}`) }),
      startClickHouse({ url: options.clickhouseUrl, dataDir: dir('clickhouse'), outageDrills: options.clickhouseOutageDrills }),
      startTranscoder({ callbackSecret: secrets.transcoderCallback }),
    ]);
    stops.push(postgres.stop, s3.stop, clickhouse.stop, transcoder.stop);
    const accounts = options.jurisdictions.map((j) => {
      const provider = jurisdictionById(j)?.payments.provider ?? 'stripe';
      return {
        jurisdiction: j,
        provider,
        secretKey: required(secrets.payments[j], `the ${j} payment key`),
        webhookSecret: required(secrets.paymentWebhooks[j], `the ${j} webhook secret`),
        webhookUrl: options.deliverPaymentWebhooks ? `${options.baseUrls[j]}/api/payments/webhooks/${provider}` : undefined,
      };
    });
    const paymentSandbox = await startPaymentSandbox({ accounts });
    stops.push(paymentSandbox.stop);
    const redis: Record<string, LocalRedis> = {};
    const settings: Record<string, Record<string, string>> = {};
    for (const j of options.jurisdictions) {
      const cache = await startRedis({ dataDir: dir(`redis-${j}`) });
      stops.push(cache.stop);
      redis[j] = cache;
      const database = `${options.namePrefix}${j}`;
      const databaseUrl = required(postgres.urls[database], `database ${database}`);
      await Promise.all([migratePostgres(databaseUrl, postgres.wsProxy), migrateClickHouse({ ...clickhouse, database })]);
      settings[j] = {
        JURISDICTION: j,
        JURISDICTION_URLS: JSON.stringify(options.baseUrls),
        DATABASE_URL: databaseUrl,
        NEON_WS_PROXY: postgres.wsProxy,
        REDIS_REST_URL: cache.restUrl,
        REDIS_REST_TOKEN: cache.restToken,
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: `kce-${j}`,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_USER: clickhouse.username,
        CLICKHOUSE_PASSWORD: clickhouse.password,
        CLICKHOUSE_DATABASE: database,
        TRANSCODER_URL: transcoder.url,
        TRANSCODER_CALLBACK_SECRET: secrets.transcoderCallback,
        PUBLIC_API_URL: required(options.baseUrls[j], `the ${j} base URL`),
        JWT_SECRET: required(secrets.jwt[j], `the ${j} JWT secret`),
        REPLICATION_SOURCES: JSON.stringify(
          Object.fromEntries(
            options.jurisdictions.map((source) => [
              source,
              { endpoint: s3.endpoint, region: s3.region, bucket: `kce-${source}`, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
            ]),
          ),
        ),
        DIRECTORY_KEY: secrets.directoryKey,
        PAYMENT_SECRET_KEY: required(secrets.payments[j], `the ${j} payment key`),
        PAYMENT_WEBHOOK_SECRET: required(secrets.paymentWebhooks[j], `the ${j} webhook secret`),
        PAYMENT_SANDBOX_URL: paymentSandbox.url,
      };
    }
    const services = [
      { service: `PostgreSQL (${options.databaseUrl ? 'server' : 'PGlite'}) via Neon WebSocket proxy`, url: `ws://${postgres.wsProxy}` },
      ...Object.entries(redis).map(([j, cache]) => ({ service: `Redis (${j}) 127.0.0.1:${cache.redisPort} via Upstash REST`, url: cache.restUrl })),
      { service: 'S3 (s3rver)', url: s3.endpoint },
      { service: `ClickHouse (${options.clickhouseUrl ? 'server' : 'chdb'})`, url: clickhouse.url },
      ...transcoder.members.map((member, i) => ({ service: `Transcoder ${i + 1} of ${transcoder.members.length} (Node + ffmpeg)`, url: member.url })),
      { service: 'Payment sandbox (Stripe and Moyasar test cards)', url: paymentSandbox.url },
    ];
    return { settings, services, postgres, s3, redis, clickhouse, transcoder, paymentSandbox, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} was not started`);
  return value;
}

interface LocalSecrets {
  jwt: Record<string, string>;
  directoryKey: string;
  /** Signs the transcoder's callbacks to the api. */
  transcoderCallback: string;
  /** Each jurisdiction's sandbox account: its API key and its webhook secret (test-mode lookalikes, never real ones). */
  payments: Record<string, string>;
  paymentWebhooks: Record<string, string>;
}

/**
 * Generated, local-only keys: a JWT key per jurisdiction, the shared directory key and the
 * transcoder's callback key. Kept under the
 * data folder in dev so sessions survive a restart; fresh for every test run.
 */
function localSecrets(jurisdictions: readonly string[], dataDir: string | undefined): LocalSecrets {
  const file = dataDir ? join(dataDir, 'secrets.json') : undefined;
  const saved: Partial<LocalSecrets> = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const key = () => randomBytes(32).toString('base64url');
  const secrets: LocalSecrets = {
    jwt: Object.fromEntries(jurisdictions.map((j) => [j, saved.jwt?.[j] ?? key()])),
    directoryKey: saved.directoryKey ?? key(),
    transcoderCallback: saved.transcoderCallback ?? key(),
    payments: Object.fromEntries(jurisdictions.map((j) => [j, saved.payments?.[j] ?? `sk_test_local_${j}_${key()}`])),
    paymentWebhooks: Object.fromEntries(jurisdictions.map((j) => [j, saved.paymentWebhooks?.[j] ?? `whsec_${key()}`])),
  };
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
