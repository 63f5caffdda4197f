import type { RouteObject } from 'react-router';

/** Under /analytics: the dashboard (charts load only here). */
export const adminRoutes: RouteObject[] = [];
