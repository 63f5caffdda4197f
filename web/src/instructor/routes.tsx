import type { RouteObject } from 'react-router';

/** Under /teach: my courses, course and lesson editing, uploads. */
export const instructorRoutes: RouteObject[] = [];
