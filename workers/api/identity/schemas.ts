import { z } from 'zod';
import { Role } from './tokens.ts';

/** Plain ASCII addresses only: look-alike Unicode addresses are a phishing tool, not a feature. */
export const Email = z
  .string({ error: 'is required' })
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address such as name@example.com' }));

export const NewPassword = z
  .string({ error: 'is required' })
  .min(8, 'must be at least 8 characters')
  .max(128, 'must be at most 128 characters');

/** Any script, but no control characters or bidirectional overrides (they spoof how names read). */
export const DisplayName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(80, 'must be at most 80 characters')
  .regex(/^[^\p{Cc}\u202A-\u202E\u2066-\u2069]+$/u, 'must not contain control or text-direction characters');

export const Language = z.enum(['en', 'ar'], { error: 'must be "en" or "ar"' });

export const Registration = z.strictObject({
  email: Email,
  password: NewPassword,
  displayName: DisplayName,
  preferredLanguage: Language.default('en'),
  jurisdiction: z.string({ error: 'is required' }).regex(/^[a-z]{2}$/, 'must be a jurisdiction code such as "us"'),
});

export const Credentials = z.strictObject({
  email: Email,
  password: z.string({ error: 'is required' }).min(1, 'is required').max(128, 'must be at most 128 characters'),
});

export const Locate = z.strictObject({ email: Email });

export const ProfileChanges = z
  .strictObject({ displayName: DisplayName.optional(), preferredLanguage: Language.optional() })
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one of displayName, preferredLanguage');

export const PasswordChange = z.strictObject({
  currentPassword: z.string({ error: 'is required' }).min(1, 'is required').max(128),
  newPassword: NewPassword,
});

export const RoleGrant = z.strictObject({ role: Role });
export const UserId = z.object({ id: z.uuid({ error: 'must be a user id' }) });

/** An account as its owner and admins see it. */
export const Profile = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    preferredLanguage: Language,
    role: Role,
    jurisdiction: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Profile' });

/**
 * A signed-in answer: the access token for `Authorization: Bearer`, and the account. The refresh
 * token never appears in a body: it is set as the `kce_refresh` cookie (httpOnly, Secure,
 * SameSite=Strict, path /api/auth, 30 days).
 */
export const SignedIn = z
  .object({
    user: Profile,
    accessToken: z.string().meta({ description: 'A JWT, valid for `expiresIn` seconds.' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.int().positive().meta({ description: 'Seconds the access token is valid for.' }),
  })
  .meta({ id: 'SignedIn' });
export type SignedIn = z.infer<typeof SignedIn>;

/** Where an account lives: the deployment to sign in at. */
export const AccountHome = z
  .object({
    jurisdiction: z.string().regex(/^[a-z]{2}$/),
    apiBaseUrl: z.url().nullable().meta({ description: 'That jurisdiction’s API origin; null if this deployment does not know it.' }),
  })
  .meta({ id: 'AccountHome' });
