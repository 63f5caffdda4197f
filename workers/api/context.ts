import type { Redis } from '@upstash/redis/cloudflare';
import { z } from 'zod';
import { AnalyticsIngestSettings, CacheSettings, DatabaseSettings, IdentitySettings, JurisdictionSettings, PaymentSettings, ReplicationSettings, StorageSettings, VideoSettings } from '../lib/config.ts';
import type { Database } from '../lib/db.ts';
import type { Storage } from '../lib/storage.ts';
import type { Trace } from '../lib/trace.ts';
import type { Directory } from './identity/directory.ts';
import type { AuthLimits } from './identity/rate-limits.ts';
import type { AccessClaims } from './identity/tokens.ts';
import type { PaymentGateway } from './payments/providers.ts';

export const ApiConfig = z.object({
  ...JurisdictionSettings.shape,
  ...DatabaseSettings.shape,
  ...CacheSettings.shape,
  ...StorageSettings.shape,
  ...IdentitySettings.shape,
  ...AnalyticsIngestSettings.shape,
  ...ReplicationSettings.shape,
  ...VideoSettings.shape,
  ...PaymentSettings.shape,
});
export type ApiConfig = z.output<typeof ApiConfig>;

/** Built once per request by the `services` middleware; each client is opened on first use. */
export interface ApiServices {
  config: ApiConfig;
  database(): Database;
  cache(): Redis;
  storage(): Storage;
  directory(): Directory;
  authLimits(): AuthLimits;
  /** This jurisdiction's payment provider (contracts/jurisdictions.ts). */
  payments(): PaymentGateway;
}

export interface ApiEnv {
  Bindings: Env;
  /** `user` behind `requireUser`; `viewer` behind `optionalUser` (absent when anonymous). */
  Variables: { trace: Trace; services: ApiServices; user: AccessClaims; viewer: AccessClaims | undefined };
}
