import type { RouteObject } from 'react-router';

/** Under /analytics: the dashboard (charts load only here). */
export const adminRoutes: RouteObject[] = [
  { path: 'analytics', lazy: async () => ({ Component: (await import('./DashboardPage.tsx')).DashboardPage }) },
];
