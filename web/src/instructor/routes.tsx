import { Outlet, type RouteObject } from 'react-router';
import { RequireRole } from '../auth/RequireRole.tsx';
import { areaPages } from '../i18n/i18n.tsx';

const page = areaPages(() => import('./messages.ts'));

/** Under /teach: my courses, course and lesson editing, uploads. Each page is its own chunk. */
export const instructorRoutes: RouteObject[] = [
  {
    path: 'teach',
    element: (
      <RequireRole roles={['instructor', 'admin']}>
        <Outlet />
      </RequireRole>
    ),
    children: [
      { index: true, lazy: page(async () => ({ Component: (await import('./MyCoursesPage.tsx')).MyCoursesPage })) },
      { path: 'new', lazy: page(async () => ({ Component: (await import('./CourseEditorPage.tsx')).CourseEditorPage })) },
      { path: 'courses/:id', lazy: page(async () => ({ Component: (await import('./CourseEditorPage.tsx')).CourseEditorPage })) },
    ],
  },
];
