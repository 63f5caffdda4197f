import { Hono } from 'hono';
import { AppError, accountGone } from '../../lib/errors.ts';
import type { ApiEnv } from '../context.ts';
import { cachedCatalog } from '../catalog/cache.ts';
import { publishedCards } from '../catalog/courses.ts';
import { continueLearning, enrolledCourseIds } from '../catalog/learning.ts';
import { coursesForLearner, coursesNamed, fromAnalytics, SHOWN } from '../catalog/recommendations.ts';
import { LearningList, Recommendations } from '../catalog/schemas.ts';
import { listOrders } from '../payments/ledger.ts';
import { OrderList } from '../payments/schemas.ts';
import { cachedProfile, changePassword, changingProfile, findUser, passwordMatches, profileOf, startSession, updateProfile } from '../identity/accounts.ts';
import { checkBudget, countFailure } from '../identity/rate-limits.ts';
import { PasswordChange, Profile, ProfileChanges, SignedIn } from '../identity/schemas.ts';
import { signedIn } from '../identity/signed-in.ts';
import { requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';

export const me = new Hono<ApiEnv>()
  .use(requireUser, limitBody(8 * 1024))
  .get(
    '/',
    documented({ summary: 'The signed-in account', tags: ['me'], access: 'signed-in', answers: { 200: Profile }, refuses: ['not_found'] }),
    async (c) => {
      const { database, cache } = c.var.services;
      return c.json(await cachedProfile(database().db, cache(), c.var.user.sub));
    },
  )
  .get(
    '/learning',
    documented({
      summary: 'Continue learning: enrolled courses, most recently active first, each with its next lesson',
      tags: ['me'],
      access: 'signed-in',
      answers: { 200: LearningList },
    }),
    async (c) => c.json({ items: await continueLearning(c.var.services.database().db, c.var.user.sub) }),
  )
  .get(
    '/recommendations',
    documented({
      summary: 'For you: courses near the ones the caller took, in their language first, each with its reason',
      description:
        'The neighbours of the caller’s most recent courses (“because you took …”), never a course they took or are enrolled in, then courses popular in this jurisdiction (all of them for a new learner); courses in the caller’s language first. Computed from this jurisdiction’s events only. Cached with the catalog (`x-cache`); enrollments are applied on every call.',
      tags: ['me'],
      access: 'signed-in',
      answers: { 200: Recommendations },
      refuses: ['not_found', 'analytics_unavailable'],
    }),
    async (c) => {
      const { database, cache } = c.var.services;
      const { db } = database();
      const userId = c.var.user.sub;
      const enrolled = await enrolledCourseIds(db, userId);
      const { value, hit } = await cachedCatalog(cache(), `recommendations:learner:${userId}`, async () => {
        const [profile, found] = await Promise.all([
          cachedProfile(db, cache(), userId),
          fromAnalytics(c.env.ANALYTICS.recommendationsFor({ v: 1, traceparent: c.var.trace.traceparent, userId, recent: enrolled.slice(0, SHOWN), limit: 100 })),
        ]);
        return coursesForLearner(found, await publishedCards(db, coursesNamed(found)), profile.preferredLanguage);
      });
      // Enrollments change between refreshes: one made a second ago is left out already.
      const taken = new Set(enrolled);
      c.header('x-cache', hit ? 'hit' : 'miss');
      return c.json({ items: value.filter((course) => !taken.has(course.id)).slice(0, SHOWN) });
    },
  )
  .get(
    '/purchases',
    documented({ summary: 'The caller’s orders, newest first, with their payments (receipts) and refunds', tags: ['me'], access: 'signed-in', answers: { 200: OrderList } }),
    async (c) => c.json({ items: await listOrders(c.var.services.database().db, { userId: c.var.user.sub }) }),
  )
  .patch(
    '/',
    documented({
      summary: 'Change the signed-in account’s name or language',
      tags: ['me'],
      access: 'signed-in',
      answers: { 200: Profile },
      refuses: ['invalid_request', 'payload_too_large', 'not_found', 'cache_unavailable'],
    }),
    valid('json', ProfileChanges),
    async (c) => {
      const { database, cache } = c.var.services;
      const userId = c.var.user.sub;
      const user = await changingProfile(cache(), userId, () => updateProfile(database().db, userId, c.req.valid('json')));
      return c.json(profileOf(user));
    },
  )
  /**
   * Ends every session of the account, then signs this device in again with the new password.
   * Wrong current passwords are counted per user, so a stolen access token cannot guess it.
   */
  .post(
    '/password',
    documented({
      summary: 'Change the password: every session ends, this device is signed in again',
      description:
        'Sets a new refresh token as the `kce_refresh` cookie (httpOnly, Secure, SameSite=Strict, path /api/auth). Wrong current passwords are limited per account (`rate_limited`).',
      tags: ['me'],
      access: 'signed-in',
      answers: { 200: SignedIn },
      refuses: ['invalid_request', 'payload_too_large', 'rate_limited', 'not_found', 'invalid_credentials', 'cache_unavailable', 'revocation_unavailable'],
    }),
    valid('json', PasswordChange),
    async (c) => {
      const { database, cache, authLimits } = c.var.services;
      const limiter = authLimits().passwordFailuresPerUser;
      const what = 'wrong current passwords for this account';
      await checkBudget(limiter, c.var.user.sub, what);
      const { db } = database();
      const user = await findUser(db, c.var.user.sub);
      if (!user) throw accountGone();
      const { currentPassword, newPassword } = c.req.valid('json');
      if (!(await passwordMatches(user, currentPassword))) {
        await countFailure(limiter, user.id, what, (p) => c.executionCtx.waitUntil(p));
        throw new AppError('invalid_credentials', 'The current password is incorrect.');
      }
      await changingProfile(cache(), user.id, () => changePassword(db, cache(), user, newPassword));
      return c.json(await signedIn(c, user, await startSession(db, user.id, c.req.header('user-agent'))));
    },
  );
