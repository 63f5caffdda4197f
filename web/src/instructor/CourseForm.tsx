import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { COURSE_LEVELS } from '../../../contracts/catalog.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { fieldErrors } from './queries.ts';
import type { CourseFields, Level } from './types.ts';

export const EMPTY_COURSE: CourseFields = { title: '', slug: '', summary: '', description: '', language: 'en', level: 'beginner', tags: [] };

/** Only the writable fields: the API refuses unknown ones. */
const courseFields = ({ title, slug, summary, description, language, level, tags }: CourseFields): CourseFields => ({ title, slug, summary, description, language, level, tags });

/** Tags are typed as one comma-separated line (Arabic commas too). */
const parseTags = (text: string) =>
  text
    .split(/[,،]/)
    .map((tag) => tag.trim())
    .filter(Boolean);

function Field({ name, label, hint, error, children }: { name: string; label: string; hint?: string; error?: string; children: (ids: { id: string; describedBy?: string }) => ReactNode }) {
  const base = useId();
  const id = `${base}-${name}`;
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="teach-field">
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy })}
      {hint && (
        <p id={`${id}-hint`} className="small muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Title, slug, summary, description, language, level and tags. The API validates; its 400 names
 * the fields, and each message is shown under its input.
 */
export function CourseForm({ initial, submitLabel, onSubmit }: { initial: CourseFields; submitLabel: string; onSubmit(fields: CourseFields): Promise<void> }) {
  const { t } = useI18n();
  const [fields, setFields] = useState(() => courseFields(initial));
  const [tagsText, setTagsText] = useState(initial.tags.join(', '));
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const errors = fieldErrors(error);
  const set = <K extends keyof CourseFields>(name: K, value: CourseFields[K]) => {
    setFields((current) => ({ ...current, [name]: value }));
    setSaved(false);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      await onSubmit({ ...fields, tags: parseTags(tagsText) });
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  const invalid = (name: string) => (errors[name] ? true : undefined);
  return (
    <form className="form teach-form" onSubmit={(event) => void submit(event)} noValidate>
      <Field name="title" label={t('instructor.field.title')} error={errors.title}>
        {({ id, describedBy }) => (
          <input id={id} value={fields.title} onChange={(e) => set('title', e.target.value)} dir="auto" required maxLength={120} aria-invalid={invalid('title')} aria-describedby={describedBy} />
        )}
      </Field>
      <Field name="slug" label={t('instructor.field.slug')} hint={t('instructor.field.slugHint')} error={errors.slug}>
        {({ id, describedBy }) => (
          <input id={id} value={fields.slug} onChange={(e) => set('slug', e.target.value)} dir="ltr" maxLength={80} aria-invalid={invalid('slug')} aria-describedby={describedBy} />
        )}
      </Field>
      <Field name="summary" label={t('instructor.field.summary')} error={errors.summary}>
        {({ id, describedBy }) => (
          <input id={id} value={fields.summary} onChange={(e) => set('summary', e.target.value)} dir="auto" maxLength={300} aria-invalid={invalid('summary')} aria-describedby={describedBy} />
        )}
      </Field>
      <Field name="description" label={t('instructor.field.description')} error={errors.description}>
        {({ id, describedBy }) => (
          <textarea id={id} value={fields.description} onChange={(e) => set('description', e.target.value)} dir="auto" rows={6} aria-invalid={invalid('description')} aria-describedby={describedBy} />
        )}
      </Field>
      <div className="teach-form-row">
        <Field name="language" label={t('instructor.field.language')} error={errors.language}>
          {({ id, describedBy }) => (
            <select id={id} value={fields.language} onChange={(e) => set('language', e.target.value as CourseFields['language'])} aria-invalid={invalid('language')} aria-describedby={describedBy}>
              <option value="en">{t('instructor.language.en')}</option>
              <option value="ar">{t('instructor.language.ar')}</option>
            </select>
          )}
        </Field>
        <Field name="level" label={t('instructor.field.level')} error={errors.level}>
          {({ id, describedBy }) => (
            <select id={id} value={fields.level} onChange={(e) => set('level', e.target.value as Level)} aria-invalid={invalid('level')} aria-describedby={describedBy}>
              {COURSE_LEVELS.map((level) => (
                <option key={level} value={level}>
                  {t(`instructor.level.${level}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field name="tags" label={t('instructor.field.tags')} hint={t('instructor.field.tagsHint')} error={errors.tags}>
        {({ id, describedBy }) => (
          <input
            id={id}
            value={tagsText}
            dir="auto"
            onChange={(e) => {
              setTagsText(e.target.value);
              setSaved(false);
            }}
            aria-invalid={invalid('tags')}
            aria-describedby={describedBy}
          />
        )}
      </Field>
      {error !== undefined && <ErrorMessage error={error} />}
      <div className="row">
        <button type="submit" className="button" disabled={saving}>
          {saving ? t('instructor.form.saving') : submitLabel}
        </button>
        <span role="status" className="small teach-saved">
          {saved ? t('instructor.form.saved') : ''}
        </span>
      </div>
    </form>
  );
}
