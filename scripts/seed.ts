import { neonConfig, Pool } from '@neondatabase/serverless';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { JURISDICTIONS } from '../contracts/jurisdictions.ts';
import { neonSettingsFor } from './services/postgres.ts';
import { addLesson, createCourse, publishCourse } from '../workers/api/catalog/courses.ts';
import { createAccount } from '../workers/api/identity/accounts.ts';
import { setPricing } from '../workers/api/catalog/pricing.ts';
import { directoryKey, normalizeEmail } from '../workers/api/identity/directory.ts';
import { courses, users } from '../db/schema.ts';

/** Local-only demo accounts: the password is public and the domain cannot receive mail. */
export const DEMO_PASSWORD = 'demo-password';
const DEMO_ROLES = ['admin', 'instructor', 'learner'] as const;

export function demoUsers(jurisdiction: string) {
  // The SPA speaks English and Arabic: Arabic where the jurisdiction's locale is.
  const arabic = JURISDICTIONS.find((row) => row.id === jurisdiction)?.locale.startsWith('ar-');
  return DEMO_ROLES.map((role) => ({
    role,
    email: `${role}@${jurisdiction}.demo.test`,
    displayName: `Demo ${role[0]?.toUpperCase()}${role.slice(1)} (${jurisdiction.toUpperCase()})`,
    preferredLanguage: arabic ? ('ar' as const) : ('en' as const),
  }));
}

const DEMO_COURSES = [
  {
    slug: 'edge-computing-101',
    title: 'Edge Computing 101',
    summary: 'Run code close to your learners: Workers, queues and caches explained.',
    language: 'en' as const,
    level: 'beginner' as const,
    tags: ['cloud', 'web'],
    lessons: ['What the edge is', 'Your first Worker', 'Queues and background work'],
  },
  {
    slug: 'video-streaming-basics',
    title: 'Video Streaming Basics',
    summary: 'How adaptive HLS streaming works, from encoding ladders to players.',
    language: 'en' as const,
    level: 'intermediate' as const,
    tags: ['video', 'media'],
    lessons: ['Codecs and containers', 'The HLS ladder', 'Players and analytics'],
    // Paid, to try a purchase through the local payment sandbox (its first lesson a free preview).
    prices: { us: 1_999, sa: 7_499, eu: 1_799 },
  },
  {
    slug: 'intro-to-data-analysis-ar',
    title: 'مقدمة في تحليل البيانات',
    summary: 'تعلم أساسيات تحليل البيانات واستخراج المعرفة منها خطوة بخطوة.',
    language: 'ar' as const,
    level: 'beginner' as const,
    tags: ['data'],
    lessons: ['ما هي البيانات؟', 'تنظيف البيانات', 'الرسوم البيانية'],
  },
];

/** Creates what is missing of the demo, through the same code the API uses; a second run changes nothing. */
export async function seedDemo(databaseUrl: string, wsProxy: string, jurisdiction: string): Promise<void> {
  Object.assign(neonConfig, neonSettingsFor(wsProxy));
  const pool = new Pool({ connectionString: databaseUrl });
  const db = drizzle({ client: pool });
  try {
    for (const demo of demoUsers(jurisdiction)) {
      const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.emailNormalized, normalizeEmail(demo.email)));
      if (!existing) await createAccount(db, { ...demo, password: DEMO_PASSWORD, jurisdiction });
    }
    const [instructor] = await db.select().from(users).where(eq(users.emailNormalized, `instructor@${jurisdiction}.demo.test`));
    if (!instructor) throw new Error('the demo instructor is missing');
    for (const demo of DEMO_COURSES) {
      const slug = `${demo.slug}-${jurisdiction}`;
      if ((await db.select({ id: courses.id }).from(courses).where(eq(courses.slug, slug))).length > 0) continue;
      const { lessons, prices, ...fields } = { prices: undefined, ...demo };
      const course = await createCourse(db, { ...fields, slug, description: demo.summary, coverImageUrl: null }, instructor, jurisdiction);
      for (const [index, title] of lessons.entries()) await addLesson(db, course.id, { title, summary: '', isPreview: index === 0, videoId: null }, jurisdiction);
      if (prices) await setPricing(db, course.id, { isPaid: true, prices });
      await publishCourse(db, course);
    }
  } finally {
    await pool.end();
  }
}

/** The directory entries of the demo accounts, for `wrangler kv bulk put`. */
export async function demoDirectoryEntries(jurisdictions: readonly string[], platformKey: string) {
  const entries = [];
  for (const jurisdiction of jurisdictions) {
    for (const demo of demoUsers(jurisdiction)) entries.push({ key: await directoryKey(demo.email, platformKey), value: jurisdiction });
  }
  return entries;
}
