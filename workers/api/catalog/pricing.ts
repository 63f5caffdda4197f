import { eq, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { jurisdictionById } from '../../../contracts/jurisdictions.ts';
import { coursePrices, courses } from '../../../db/schema.ts';
import type { Pricing } from '../payments/schemas.ts';

/** Replaces a course's prices (its editor checked); the course's version grows so replicas apply it. */
export async function setPricing(db: NeonDatabase, courseId: string, pricing: Pricing): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(courses).set({ isPaid: pricing.isPaid, version: sql`${courses.version} + 1`, updatedAt: new Date() }).where(eq(courses.id, courseId));
    await tx.delete(coursePrices).where(eq(coursePrices.courseId, courseId));
    const rows = Object.entries(pricing.prices).flatMap(([jurisdiction, amountMinor]) => {
      const currency = jurisdictionById(jurisdiction)?.currency;
      return currency && amountMinor ? [{ courseId, jurisdiction, currency, amountMinor }] : [];
    });
    if (rows.length > 0) await tx.insert(coursePrices).values(rows);
  });
}
