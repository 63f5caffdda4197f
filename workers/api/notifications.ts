import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { notifications } from '../../db/schema.ts';
import { z } from 'zod';
import type { NotificationMessage } from '../lib/contracts.ts';

export const NotificationView = z
  .object({ id: z.uuid(), type: z.string(), title: z.string(), body: z.string(), data: z.unknown(), read: z.boolean(), createdAt: z.iso.datetime() })
  .meta({ id: 'NotificationView' });
export type NotificationView = z.infer<typeof NotificationView>;
export const NotificationPage = z.object({ items: z.array(NotificationView), unread: z.int() }).meta({ id: 'NotificationPage' });
export const Marked = z.object({ marked: z.int().meta({ description: 'How many notifications were unread and are now read.' }) });

/** Stores a `notifications` message; the message id makes redelivery harmless. */
export async function storeNotification(db: NeonDatabase, message: NotificationMessage): Promise<void> {
  const { id, userId, type, title, body, data } = message;
  await db.insert(notifications).values({ id, userId, type, title, body, data }).onConflictDoNothing();
}

/** Unread first, newest first within each. */
export async function listNotifications(db: NeonDatabase, userId: string, limit: number): Promise<{ items: NotificationView[]; unread: number }> {
  const rows = await db
    .select()
    .from(notifications)
    .where(eq(notifications.userId, userId))
    .orderBy(sql`${notifications.readAt} is not null`, desc(notifications.createdAt))
    .limit(limit);
  const [{ unread } = { unread: 0 }] = await db
    .select({ unread: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return {
    items: rows.map((row) => ({ id: row.id, type: row.type, title: row.title, body: row.body, data: row.data, read: row.readAt !== null, createdAt: row.createdAt.toISOString() })),
    unread,
  };
}

export async function markRead(db: NeonDatabase, userId: string, id?: string): Promise<number> {
  const marked = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), id ? eq(notifications.id, id) : undefined))
    .returning({ id: notifications.id });
  return marked.length;
}
