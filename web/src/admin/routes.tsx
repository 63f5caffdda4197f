import type { RouteObject } from 'react-router';
import { areaPages } from '../i18n/i18n.tsx';

const page = areaPages(() => import('./messages.ts'));

/** Under /analytics: the dashboard and playback quality (charts load only there), with the admin area's words. */
export const adminRoutes: RouteObject[] = [
  { path: 'analytics', lazy: page(async () => ({ Component: (await import('./DashboardPage.tsx')).DashboardPage })) },
  { path: 'analytics/quality', lazy: page(async () => ({ Component: (await import('./QualityPage.tsx')).QualityPage })) },
];
