import { z } from 'zod';
import { JURISDICTION_IDS } from '../../contracts/jurisdictions.ts';
import { AppError } from './errors.ts';

/**
 * Settings per jurisdiction, validated once per isolate. Each Worker composes the parts it uses; a
 * missing or malformed setting turns every request into one clear 500 naming it, instead of a crash
 * deep inside a handler.
 */
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const secret = z.string({ error: 'is missing' }).min(1, 'is empty');
const url = z.url({ error: 'must be a URL' });
const hostPort = z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port');

/** A setting holding JSON (vars and secrets are strings), parsed and then checked by `shape`. */
function jsonSetting<T extends z.ZodType>(shape: T, what: string) {
  return z
    .string({ error: 'is missing' })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be ${what}` });
        return z.NEVER;
      }
    })
    .pipe(shape);
}

export const JurisdictionIdSetting = z.object({
  JURISDICTION: z.string({ error: 'is missing' }).regex(/^[a-z]{2}$/, 'must be a two-letter jurisdiction code such as "us"'),
});

export const JurisdictionSettings = z.object({
  ...JurisdictionIdSetting.shape,
  JURISDICTION_URLS: jsonSetting(z.record(z.string().regex(/^[a-z]{2}$/), url), 'a JSON object of jurisdiction to API base URL'),
});

export const DatabaseSettings = z.object({
  DATABASE_URL: z.string({ error: 'is missing' }).regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  /** Local only: the Neon-compatible WebSocket proxy in front of a plain PostgreSQL. */
  NEON_WS_PROXY: z.preprocess(emptyAsUndefined, hostPort.optional()),
});

export const CacheSettings = z.object({
  REDIS_REST_URL: url,
  REDIS_REST_TOKEN: secret,
});

export const StorageSettings = z.object({
  S3_ENDPOINT: url,
  S3_REGION: secret,
  S3_BUCKET: secret,
  S3_ACCESS_KEY_ID: secret,
  S3_SECRET_ACCESS_KEY: secret,
});

export const ClickHouseSettings = z.object({
  CLICKHOUSE_URL: url,
  CLICKHOUSE_USER: secret,
  CLICKHOUSE_PASSWORD: z.string({ error: 'is missing' }),
  CLICKHOUSE_DATABASE: z.string({ error: 'is missing' }).regex(/^\w+$/, 'must be a database name'),
});

/** "5/900s": five per sliding window of 900 seconds. */
const rateLimit = z
  .string({ error: 'is missing' })
  .regex(/^\d+\/\d+s$/, 'must look like "5/900s" (count per window in seconds)')
  .transform((text) => {
    const [limit, window] = text.split('/');
    return { limit: Number(limit), windowSeconds: Number.parseInt(window ?? '', 10) };
  });
export type RateLimitSetting = z.output<typeof rateLimit>;

export const IdentitySettings = z.object({
  /** Signs access tokens: a different key per jurisdiction. */
  JWT_SECRET: z.string({ error: 'is missing' }).min(32, 'must be at least 32 characters'),
  /** Keys the global directory's email hashes: the same key in every jurisdiction. */
  DIRECTORY_KEY: z.string({ error: 'is missing' }).min(32, 'must be at least 32 characters'),
  /** Sign-in attempts per client address. */
  RATE_LIMIT_LOGIN: rateLimit,
  /** Wrong passwords per account and address at sign-in, and per account at a password change. */
  RATE_LIMIT_LOGIN_FAILURES: rateLimit,
  RATE_LIMIT_REGISTER: rateLimit,
  /** Directory look-ups per client address: how fast anyone can learn where an email lives. */
  RATE_LIMIT_LOCATE: rateLimit,
});

const StorageLocation = z.object({
  endpoint: url,
  region: z.string().min(1),
  bucket: z.string().min(1),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
});
export type StorageLocation = z.output<typeof StorageLocation>;

export const ReplicationSettings = z.object({
  /** Jurisdictions this one sends published courses to, e.g. "sa"; empty for none. */
  REPLICATE_TO: z
    .string({ error: 'is missing' })
    .transform((text) => (text ? text.split(',') : []))
    .pipe(z.array(z.enum(JURISDICTION_IDS, { error: `must be a comma-separated list of jurisdictions of contracts/jurisdictions.ts (${JURISDICTION_IDS.join(', ')})` }))),
  /** Read access to the other jurisdictions' buckets, to copy replicated renditions. */
  REPLICATION_SOURCES: jsonSetting(z.record(z.string().regex(/^[a-z]{2}$/), StorageLocation), 'a JSON object of jurisdiction to storage location'),
});

export const TranscoderSettings = z.object({
  /** Local only: the transcoder as a Node process instead of the container. */
  TRANSCODER_URL: z.preprocess(emptyAsUndefined, url.optional()),
});

/** `POST /api/analytics/*` requests: anonymous ones per client address, signed-in ones per user. */
export const AnalyticsIngestSettings = z.object({
  RATE_LIMIT_ANALYTICS: rateLimit,
  RATE_LIMIT_ANALYTICS_USER: rateLimit,
});

const validated = new WeakMap<object, unknown>();

export function readConfig<T extends z.ZodType>(schema: T, env: object): z.output<T> {
  if (validated.has(env)) return validated.get(env) as z.output<T>;
  const result = schema.safeParse(env);
  if (!result.success) {
    const settings = [...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? '?')))];
    const reasons = result.error.issues.map((issue) => `${String(issue.path[0] ?? '?')} ${issue.message}`);
    throw new AppError(
      'invalid_configuration',
      `This deployment is misconfigured: ${reasons.join('; ')}. Set ${settings.join(', ')} in the Worker's configuration.`,
      { settings },
    );
  }
  validated.set(env, result.data);
  return result.data;
}

export const VideoSettings = z.object({
  /** The largest source an instructor may upload, in bytes (default 5 GiB). */
  VIDEO_MAX_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(5 * 1024 ** 3)),
  /** Signs the transcoder's callbacks: the same value in the api and the transcoder. */
  TRANSCODER_CALLBACK_SECRET: z.string({ error: 'is missing' }).min(32, 'must be at least 32 characters'),
});

export const PublicApiSettings = z.object({
  /** This jurisdiction's API as the transcoder reaches it, for its callbacks. */
  PUBLIC_API_URL: url,
});

/** Loopback only: the local payment sandbox (scripts/services/payment-sandbox.ts) can never stand in for a provider in a deployment. */
const sandboxUrl = url.refine((value) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(value).hostname), 'must be a loopback URL: the payment sandbox runs only on a developer machine');

export const PaymentSettings = z.object({
  /** The provider's API key of this jurisdiction's account (Stripe `sk_...`, Moyasar `sk_...`). */
  PAYMENT_SECRET_KEY: secret,
  /** Verifies its webhooks: Stripe's endpoint signing secret, Moyasar's webhook secret token. */
  PAYMENT_WEBHOOK_SECRET: secret,
  /** Local only: the provider's API at the local sandbox instead of its own host. */
  PAYMENT_SANDBOX_URL: z.preprocess(emptyAsUndefined, sandboxUrl.optional()),
});
