import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, client, onAccessTokenChange, refreshSession, setAccessToken, unwrap } from '../api/client.ts';
import type { Profile, SignedIn } from '../api/types.ts';
import { track } from '../analytics/tracker.ts';
import { useI18n, type Language } from '../i18n/i18n.tsx';

export interface Registration {
  email: string;
  password: string;
  displayName: string;
  preferredLanguage: Language;
  jurisdiction: string;
}

interface Session {
  /** `undefined` while the refresh cookie is being tried on start. */
  user: Profile | null | undefined;
  signIn(email: string, password: string): Promise<void>;
  signUp(registration: Registration): Promise<void>;
  signOut(): Promise<void>;
  updateProfile(changes: Partial<Pick<Profile, 'displayName' | 'preferredLanguage'>>): Promise<void>;
}

const SessionContext = createContext<Session | undefined>(undefined);
/** Not a credential: only spares visitors who never signed in a refresh request that must fail. */
const SIGNED_IN_HINT = 'kce.signedIn';

/**
 * Each jurisdiction serves its own copy of the SPA next to its API, and the refresh cookie belongs
 * to that origin: an account kept elsewhere is sent to its own deployment's sign-in page.
 */
function goToJurisdiction(apiBaseUrl: string, page: '/signin' | '/signup', fields: Record<string, string>): boolean {
  const target = new URL(page, apiBaseUrl);
  if (target.origin === location.origin) return false;
  for (const [name, value] of Object.entries(fields)) target.searchParams.set(name, value);
  target.searchParams.set('moved', '1');
  location.assign(target.toString());
  return true;
}

/** A 421 `wrong_jurisdiction` moves the page to the account's deployment (and resolves to nothing). */
function followJurisdiction(page: '/signin' | '/signup', fields: Record<string, string>) {
  return (error: unknown): undefined => {
    const apiBaseUrl = error instanceof ApiError && error.code === 'wrong_jurisdiction' ? error.details.apiBaseUrl : undefined;
    if (typeof apiBaseUrl === 'string' && goToJurisdiction(apiBaseUrl, page, fields)) return undefined;
    throw error;
  };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  // Started while rendering, before any page's first request: those wait for it (client.ts).
  const [restoring] = useState(() => (localStorage.getItem(SIGNED_IN_HINT) ? refreshSession() : undefined));
  const [user, setUser] = useState<Profile | null | undefined>(() => (restoring ? undefined : null));
  const { setLanguage } = useI18n();
  const queryClient = useQueryClient();

  const adopt = useCallback(
    (signedIn: SignedIn | undefined) => {
      setUser(signedIn?.user ?? null);
      if (signedIn) {
        localStorage.setItem(SIGNED_IN_HINT, '1');
        setLanguage(signedIn.user.preferredLanguage);
      } else localStorage.removeItem(SIGNED_IN_HINT);
    },
    [setLanguage],
  );

  const begin = useCallback(
    (signedIn: SignedIn | undefined) => {
      if (!signedIn) return;
      setAccessToken(signedIn.accessToken);
      queryClient.clear();
      adopt(signedIn);
      track({ type: 'login' });
    },
    [adopt, queryClient],
  );

  useEffect(() => {
    void restoring?.then(adopt, () => adopt(undefined));
    return onAccessTokenChange((token) => {
      if (!token) adopt(undefined);
    });
  }, [adopt, restoring]);

  const value = useMemo<Session>(
    () => ({
      user,
      async signIn(email, password) {
        const home = await unwrap(client.POST('/api/auth/locate', { body: { email } }));
        if (home.apiBaseUrl && goToJurisdiction(home.apiBaseUrl, '/signin', { email })) return;
        begin(await unwrap(client.POST('/api/auth/login', { body: { email, password } })).catch(followJurisdiction('/signin', { email })));
      },
      async signUp({ password, ...fields }) {
        begin(await unwrap(client.POST('/api/auth/register', { body: { ...fields, password } })).catch(followJurisdiction('/signup', fields)));
      },
      async signOut() {
        await unwrap(client.POST('/api/auth/logout')).catch(() => undefined);
        setAccessToken(undefined);
        queryClient.clear();
        adopt(undefined);
      },
      async updateProfile(changes) {
        const profile = await unwrap(client.PATCH('/api/me', { body: changes }));
        setUser(profile);
        setLanguage(profile.preferredLanguage);
      },
    }),
    [user, adopt, begin, queryClient, setLanguage],
  );
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): Session {
  const context = useContext(SessionContext);
  if (!context) throw new Error('useSession outside SessionProvider');
  return context;
}
