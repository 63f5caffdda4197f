import { Outlet, type RouteObject } from 'react-router';
import { RequireRole } from '../auth/RequireRole.tsx';

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
      { index: true, lazy: async () => ({ Component: (await import('./MyCoursesPage.tsx')).MyCoursesPage }) },
      { path: 'new', lazy: async () => ({ Component: (await import('./CourseEditorPage.tsx')).CourseEditorPage }) },
      { path: 'courses/:id', lazy: async () => ({ Component: (await import('./CourseEditorPage.tsx')).CourseEditorPage }) },
    ],
  },
];
