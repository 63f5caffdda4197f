import type { RouteObject } from 'react-router';

/** Catalog, course, player, my learning, notifications. Pages load lazily (`lazy`), each its own chunk. */
export const learnerRoutes: RouteObject[] = [];
