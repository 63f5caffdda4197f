import { Hono } from 'hono';
import type { ApiEnv } from '../context.ts';
import { changingProfile, profileOf, setRole } from '../identity/accounts.ts';
import { Profile, RoleGrant, UserId } from '../identity/schemas.ts';
import { requireRole, requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';

/** Administration of this jurisdiction's accounts: only admins grant roles. */
export const usersRoutes = new Hono<ApiEnv>()
  .use(requireUser, requireRole('admin'), limitBody(4 * 1024))
  .put(
    '/:id/role',
    documented({
      summary: 'Grant a role to an account of this jurisdiction (admins); its sessions end',
      tags: ['users'],
      access: 'signed-in',
      answers: { 200: Profile },
      refuses: ['invalid_request', 'forbidden', 'not_found', 'payload_too_large', 'cache_unavailable', 'revocation_unavailable'],
    }),
    valid('param', UserId),
    valid('json', RoleGrant),
    async (c) => {
      const { id } = c.req.valid('param');
      const { database, cache } = c.var.services;
      const user = await changingProfile(cache(), id, () => setRole(database().db, cache(), id, c.req.valid('json').role));
      return c.json(profileOf(user));
    },
  );
