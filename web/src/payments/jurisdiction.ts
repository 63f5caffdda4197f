import { queryOptions, useQuery } from '@tanstack/react-query';
import { jurisdictionById, type JURISDICTIONS } from '../../../contracts/jurisdictions.ts';
import { client, unwrap } from '../api/client.ts';
import type { CourseCard } from '../api/types.ts';
import { useSession } from '../auth/session.tsx';

export type Jurisdiction = (typeof JURISDICTIONS)[number];
export type CoursePrice = CourseCard['prices'][number];

/** The deployment this SPA is served by (each jurisdiction serves its own copy next to its API). */
const deploymentQuery = queryOptions({
  queryKey: ['deployment'],
  queryFn: ({ signal }) => unwrap(client.GET('/api/health/live', { signal })),
  staleTime: Infinity,
});

/**
 * The jurisdiction whose prices, currency and tax apply here: a signed-in user's own (an account is
 * only ever signed in at its own deployment), else (signed out) the deployment's, asked once of its liveness check.
 */
export function useJurisdiction(): Jurisdiction | undefined {
  const { user } = useSession();
  const deployment = useQuery({ ...deploymentQuery, enabled: user === null });
  return jurisdictionById(user?.jurisdiction ?? deployment.data?.jurisdiction ?? '');
}

/** This jurisdiction's price of a course (each answer carries every jurisdiction's). */
export function priceIn(prices: readonly CoursePrice[], jurisdiction: Jurisdiction | undefined): CoursePrice | undefined {
  return jurisdiction && prices.find((price) => price.jurisdiction === jurisdiction.id);
}
