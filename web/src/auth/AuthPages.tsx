import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { JURISDICTIONS } from '../../../contracts/jurisdictions.ts';
import { useI18n, type Language } from '../i18n/i18n.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { useSession } from './session.tsx';

/** Runs the form's action with a busy flag and the failure to show; on success goes on to `next`. */
function useAuthForm(action: (form: FormData) => Promise<void>) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action(new FormData(event.currentTarget));
      // Only paths of this site: `next` comes from the address bar.
      const next = params.get('next');
      void navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { params, error, busy, onSubmit: (event: FormEvent<HTMLFormElement>) => void submit(event) };
}

interface AuthCardProps {
  title: string;
  submitLabel: string;
  form: ReturnType<typeof useAuthForm>;
  other: { to: string; label: string };
  children: ReactNode;
}

function AuthCard({ title, submitLabel, form, other, children }: AuthCardProps) {
  const { t } = useI18n();
  return (
    <section className="auth-card">
      <h1>{title}</h1>
      {form.params.has('moved') && (
        <p role="status" className="info-box">
          {t('auth.moved')}
        </p>
      )}
      <form onSubmit={form.onSubmit} className="form">
        {children}
        {form.error !== undefined && <ErrorMessage error={form.error} />}
        <button type="submit" className="button" disabled={form.busy}>
          {submitLabel}
        </button>
      </form>
      <Link to={other.to}>{other.label}</Link>
    </section>
  );
}

function EmailField({ defaultValue }: { defaultValue: string }) {
  const { t } = useI18n();
  return (
    <label>
      {t('auth.email')}
      <input name="email" type="email" autoComplete="email" required defaultValue={defaultValue} />
    </label>
  );
}

export function SignInPage() {
  const { t } = useI18n();
  const { signIn } = useSession();
  const form = useAuthForm((fields) => signIn(String(fields.get('email')), String(fields.get('password'))));
  const { params } = form;
  return (
    <AuthCard title={t('auth.signInTitle')} submitLabel={t('auth.submitSignIn')} form={form} other={{ to: '/signup', label: t('auth.noAccount') }}>
      <EmailField defaultValue={params.get('email') ?? ''} />
      <label>
        {t('auth.password')}
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
    </AuthCard>
  );
}

export function SignUpPage() {
  const { t, language } = useI18n();
  const { signUp } = useSession();
  const form = useAuthForm((fields) =>
    signUp({
      email: String(fields.get('email')),
      password: String(fields.get('password')),
      displayName: String(fields.get('displayName')),
      preferredLanguage: String(fields.get('preferredLanguage')) as Language,
      jurisdiction: String(fields.get('jurisdiction')),
    }),
  );
  const { params } = form;
  return (
    <AuthCard title={t('auth.signUpTitle')} submitLabel={t('auth.submitSignUp')} form={form} other={{ to: '/signin', label: t('auth.haveAccount') }}>
      <label>
        {t('auth.displayName')}
        <input name="displayName" autoComplete="name" required maxLength={80} defaultValue={params.get('displayName') ?? ''} />
      </label>
      <EmailField defaultValue={params.get('email') ?? ''} />
      <label>
        {t('auth.password')}
        <input name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby="password-hint" />
        <span id="password-hint" className="muted small">
          {t('auth.passwordHint')}
        </span>
      </label>
      <label>
        {t('auth.jurisdiction')}
        <select name="jurisdiction" defaultValue={params.get('jurisdiction') ?? JURISDICTIONS[0].id}>
          {JURISDICTIONS.map((j) => (
            <option key={j.id} value={j.id}>
              {j.names[language]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('auth.language')}
        <select name="preferredLanguage" defaultValue={params.get('preferredLanguage') ?? language}>
          <option value="en">English</option>
          <option value="ar">العربية</option>
        </select>
      </label>
    </AuthCard>
  );
}
