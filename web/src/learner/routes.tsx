import type { RouteObject } from 'react-router';
import { areaPages } from '../i18n/i18n.tsx';

const page = areaPages(() => import('./messages.ts'));

/** Catalog, course, player, my learning, notifications. Pages load lazily (`lazy`), each its own chunk. */
export const learnerRoutes: RouteObject[] = [
  { index: true, lazy: page(async () => ({ Component: (await import('./CatalogPage.tsx')).CatalogPage })) },
  { path: 'courses/:idOrSlug', lazy: page(async () => ({ Component: (await import('./CoursePage.tsx')).CoursePage })) },
  // The player's chunk; hls.js is a further chunk it imports only when Media Source Extensions play the video.
  { path: 'courses/:idOrSlug/lessons/:lessonId', lazy: page(async () => ({ Component: (await import('./LessonPage.tsx')).LessonPage })) },
  { path: 'learning', lazy: page(async () => ({ Component: (await import('./LearningPage.tsx')).LearningPage })) },
  { path: 'notifications', lazy: page(async () => ({ Component: (await import('./NotificationsPage.tsx')).NotificationsPage })) },
];
