import { useId, useState, type FormEvent } from 'react';
import { JURISDICTIONS, type JurisdictionId } from '../../../contracts/jurisdictions.ts';
import { ApiError, client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { decimalAmount } from '../../../contracts/payments.ts';
import { parseMajorAmount } from '../payments/money.ts';
import { ErrorMessage } from '../ui/states.tsx';
import type { CourseDetail } from './types.ts';

type Texts = Record<JurisdictionId, string>;

const textsOf = (course: CourseDetail): Texts =>
  Object.fromEntries(
    JURISDICTIONS.map(({ id, currency }) => {
      const price = course.prices.find((row) => row.jurisdiction === id);
      return [id, price ? decimalAmount(price.amountMinor, currency) : ''];
    }),
  ) as Texts;

/** The API's 400 names `prices.sa` (or `prices`, `isPaid`): each message goes under its input. */
function serverErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !Array.isArray(error.details.fields)) return {};
  const byField: Record<string, string> = {};
  for (const { field, message } of error.details.fields as Array<{ field: string; message: string }>) byField[field] ??= message;
  return byField;
}

/**
 * Free, or paid with a price per jurisdiction typed in major units ("19.99", tax included) and sent
 * as integers of minor units, read from the digits; an empty price means not sold there.
 */
export function PricingForm({ course, onChange }: { course: CourseDetail; onChange(course: CourseDetail): void }) {
  const { t, language } = useI18n();
  const ids = useId();
  const [isPaid, setIsPaid] = useState(course.isPaid);
  const [texts, setTexts] = useState<Texts>(() => textsOf(course));
  const [problems, setProblems] = useState<Partial<Record<JurisdictionId, string>>>({});
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const fromServer = serverErrors(error);
  const choose = (paid: boolean) => {
    setIsPaid(paid);
    setSaved(false);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setSaved(false);
    const prices: Partial<Record<JurisdictionId, number>> = {};
    const found: Partial<Record<JurisdictionId, string>> = {};
    if (isPaid) {
      for (const { id, currency } of JURISDICTIONS) {
        const parsed = parseMajorAmount(texts[id], currency);
        if (!parsed.ok) found[id] = t(`instructor.pricing.error.${parsed.problem}`, { currency });
        else if (parsed.amountMinor !== null) prices[id] = parsed.amountMinor;
      }
    }
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      onChange(await unwrap(client.PUT('/api/courses/{id}/pricing', { params: { path: { id: course.id } }, body: { isPaid, prices } })));
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="card teach-section teach-pricing" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>{t('instructor.pricing.heading')}</h2>
      <form className="form teach-form" onSubmit={(event) => void submit(event)} noValidate>
        <fieldset className="teach-pricing-kind">
          <legend>{t('instructor.pricing.kind')}</legend>
          <label className="teach-check">
            <input type="radio" name={`${ids}-kind`} value="free" checked={!isPaid} onChange={() => choose(false)} />
            {t('instructor.pricing.free')}
          </label>
          <label className="teach-check">
            <input type="radio" name={`${ids}-kind`} value="paid" checked={isPaid} onChange={() => choose(true)} />
            {t('instructor.pricing.paid')}
          </label>
        </fieldset>
        {isPaid && (
          <div className="teach-form-row teach-prices">
            {JURISDICTIONS.map(({ id, currency, names }) => {
              const inputId = `${ids}-price-${id}`;
              const message = problems[id] ?? fromServer[`prices.${id}`];
              return (
                <div className="teach-field" key={id}>
                  <label htmlFor={inputId}>{t('instructor.pricing.priceIn', { name: names[language], currency })}</label>
                  <input
                    id={inputId}
                    name={`price-${id}`}
                    inputMode="decimal"
                    dir="ltr"
                    autoComplete="off"
                    placeholder="19.99"
                    value={texts[id]}
                    onChange={(event) => {
                      setTexts((current) => ({ ...current, [id]: event.target.value }));
                      setSaved(false);
                    }}
                    aria-invalid={message ? true : undefined}
                    aria-describedby={`${ids}-hint${message ? ` ${inputId}-error` : ''}`}
                  />
                  {message && (
                    <p id={`${inputId}-error`} className="field-error">
                      {message}
                    </p>
                  )}
                </div>
              );
            })}
          </div>
        )}
        {isPaid && (
          <p id={`${ids}-hint`} className="small muted">
            {t('instructor.pricing.hint')}
          </p>
        )}
        {fromServer.prices && <p className="field-error">{fromServer.prices}</p>}
        {error !== undefined && <ErrorMessage error={error} />}
        <div className="row">
          <button type="submit" className="button" disabled={saving}>
            {saving ? t('instructor.form.saving') : t('instructor.pricing.save')}
          </button>
          <span role="status" className="small teach-saved">
            {saved ? t('instructor.form.saved') : ''}
          </span>
        </div>
      </form>
    </section>
  );
}
