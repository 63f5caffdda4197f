import { Hono } from 'hono';
import { z } from 'zod';
import { reportProgress } from '../catalog/learning.ts';
import { ProgressReport, SavedProgress } from '../catalog/schemas.ts';
import type { ApiEnv } from '../context.ts';
import { requireUser } from '../middleware/auth.ts';
import { listNotifications, Marked, markRead, NotificationPage } from '../notifications.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';

const LessonIdParam = z.object({ lessonId: z.uuid({ error: 'must be a lesson id' }) });
const NotificationIdParam = z.object({ id: z.uuid({ error: 'must be a notification id' }) });
const NotificationQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) });

/** Watch positions, saved by the player every few seconds and on pause. */
export const lessonsRoutes = new Hono<ApiEnv>()
  .use(requireUser, limitBody(4 * 1024))
  .put(
    '/:lessonId/progress',
    documented({
      summary: 'Save the watch position in a lesson of an enrolled course',
      tags: ['learning'],
      access: 'signed-in',
      answers: { 200: SavedProgress },
      refuses: ['invalid_request', 'payload_too_large', 'not_found', 'not_enrolled'],
    }),
    valid('param', LessonIdParam), valid('json', ProgressReport), async (c) => {
    const { lessonId } = c.req.valid('param');
    return c.json(await reportProgress(c.var.services.database().db, c.var.user.sub, lessonId, c.req.valid('json')));
  });

export const notificationsRoutes = new Hono<ApiEnv>()
  .use(requireUser, limitBody(4 * 1024))
  .get(
    '/',
    documented({ summary: 'The caller’s notifications, unread first', tags: ['notifications'], access: 'signed-in', answers: { 200: NotificationPage }, refuses: ['invalid_request'] }),
    valid('query', NotificationQuery), async (c) =>
    c.json(await listNotifications(c.var.services.database().db, c.var.user.sub, c.req.valid('query').limit)),
  )
  .post('/read', documented({ summary: 'Mark every notification read', tags: ['notifications'], access: 'signed-in', answers: { 200: Marked } }), async (c) => c.json({ marked: await markRead(c.var.services.database().db, c.var.user.sub) }))
  .post(
    '/:id/read',
    documented({ summary: 'Mark one notification read', tags: ['notifications'], access: 'signed-in', answers: { 200: Marked }, refuses: ['invalid_request'] }),
    valid('param', NotificationIdParam), async (c) =>
    c.json({ marked: await markRead(c.var.services.database().db, c.var.user.sub, c.req.valid('param').id) }),
  );
