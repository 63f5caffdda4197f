import { z } from 'zod';
import { ClickHouseSettings, JurisdictionIdSetting, StorageSettings } from '../lib/config.ts';

/** The analytics Worker's settings; also what `npm run analytics:replay` reads from its environment. */
export const AnalyticsConfig = z.object({
  ...JurisdictionIdSetting.shape,
  ...ClickHouseSettings.shape,
  ...StorageSettings.shape,
});
export type AnalyticsConfig = z.output<typeof AnalyticsConfig>;
