import { z } from 'zod';
import { DependencyHealth } from '../../lib/health.ts';

const Jurisdiction = z.string().regex(/^[a-z]{2}$/);

/** `GET /api/health/live`: the Worker answers; nothing behind it was touched. */
export const Liveness = z.object({ status: z.literal('live'), jurisdiction: Jurisdiction }).meta({ id: 'Liveness' });

/** What `GET /api/health` checks, each for real: a query, a command, a request. */
const Dependencies = z.object({
  database: DependencyHealth,
  cache: DependencyHealth,
  storage: DependencyHealth,
  analytics: DependencyHealth,
  transcoder: DependencyHealth,
});
export const Dependency = Dependencies.keyof();
export type Dependency = z.infer<typeof Dependency>;

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']).meta({ description: '`degraded` (answered with 503) when any dependency is down.' }),
    jurisdiction: Jurisdiction,
    down: z.array(Dependency),
    dependencies: Dependencies,
  })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof Health>;
