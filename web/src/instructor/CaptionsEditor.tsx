import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { toWebVtt, type Cue } from '../../../contracts/webvtt.ts';
import { ApiError, client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, QueryState } from '../ui/states.tsx';
import { captionsKey, fieldErrors } from './queries.ts';
import type { CaptionTrack, CaptionTrackCues } from './types.ts';

type Translate = ReturnType<typeof useI18n>['t'];

/** Uploads a whole file (WebVTT or SRT) as the track in `language`: a new track, or a new version of it. */
function saveTrack(videoId: string, language: string, body: { label: string; isDefault: boolean; content: string }) {
  return unwrap(client.PUT('/api/videos/{id}/captions/{language}', { params: { path: { id: videoId, language } }, body }));
}

/**
 * A refused file names its line. The server's English message says so; in Arabic the catalog's
 * generic words would lose the line, so it is put back.
 */
function refusal(error: unknown, t: Translate, language: string): unknown {
  if (language !== 'ar' || !(error instanceof ApiError) || error.code !== 'invalid_captions') return error;
  return new Error(t('instructor.captions.invalidLine', { line: String(error.details.line ?? '?') }));
}

/** A video's caption tracks, behind a disclosure: nothing is fetched for a lesson until it is opened. */
export function CaptionsEditor({ videoId }: { videoId: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <details className="teach-captions" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>{t('instructor.captions.heading')}</summary>
      {open && <CaptionTracks videoId={videoId} />}
    </details>
  );
}

function CaptionTracks({ videoId }: { videoId: string }) {
  const { t, formatNumber } = useI18n();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<string>();
  const tracks = useQuery({
    queryKey: captionsKey(videoId),
    queryFn: ({ signal }) => unwrap(client.GET('/api/videos/{id}/captions', { params: { path: { id: videoId } }, signal })),
  });
  // The list only: a track's cues are keyed by version, and a deleted track's must not be asked for again.
  const refresh = () => queryClient.invalidateQueries({ queryKey: captionsKey(videoId), exact: true });
  const remove = useMutation({
    mutationFn: (language: string) => unwrap(client.DELETE('/api/videos/{id}/captions/{language}', { params: { path: { id: videoId, language } } })),
    onSuccess: refresh,
  });
  return (
    <div className="teach-captions-body">
      <QueryState query={tracks}>
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted small">{t('instructor.captions.none')}</p>
          ) : (
            <ul className="teach-caption-tracks">
              {items.map((track) => (
                <li key={track.id} className="teach-caption-track">
                  <div className="row">
                    <span className="teach-caption-label" lang={track.language} dir={track.direction}>
                      {track.label}
                    </span>
                    <span className="muted small">
                      {t('instructor.captions.summary', { language: track.language, count: formatNumber(track.cueCount), version: formatNumber(track.version) })}
                      {track.isDefault && ` · ${t('instructor.captions.default')}`}
                    </span>
                    <span className="teach-caption-actions">
                      <button
                        type="button"
                        className="button secondary"
                        aria-expanded={editing === track.language}
                        aria-label={t('instructor.captions.editNamed', { label: track.label })}
                        onClick={() => setEditing(editing === track.language ? undefined : track.language)}
                      >
                        {t('instructor.captions.edit')}
                      </button>
                      <button
                        type="button"
                        className="button secondary"
                        disabled={remove.isPending}
                        aria-label={t('instructor.captions.deleteNamed', { label: track.label })}
                        onClick={() => remove.mutate(track.language)}
                      >
                        {t('instructor.captions.delete')}
                      </button>
                    </span>
                  </div>
                  {editing === track.language && <CueEditor videoId={videoId} track={track} onSaved={refresh} />}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
      {remove.isError && <ErrorMessage error={remove.error} />}
      <CaptionUpload videoId={videoId} onSaved={refresh} />
    </div>
  );
}

/** A caption file for a language: a new track, or a new version of the one in that language. */
function CaptionUpload({ videoId, onSaved }: { videoId: string; onSaved(): Promise<void> }) {
  const { t } = useI18n();
  const id = useId();
  const [language, setLanguage] = useState('');
  const [label, setLabel] = useState('');
  const [isDefault, setIsDefault] = useState(false);
  const [file, setFile] = useState<File>();
  const save = useMutation({
    mutationFn: async (chosen: File) => saveTrack(videoId, language.trim(), { label: label.trim(), isDefault, content: await chosen.text() }),
    onSuccess: onSaved,
  });
  const errors = fieldErrors(save.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) save.mutate(file);
  };
  return (
    <form className="teach-caption-upload" onSubmit={submit}>
      <h3>{t('instructor.captions.add')}</h3>
      <div className="teach-form-row">
        <div className="teach-field">
          <label htmlFor={`${id}-language`}>{t('instructor.captions.language')}</label>
          <input
            id={`${id}-language`}
            value={language}
            dir="ltr"
            required
            onChange={(event) => setLanguage(event.target.value)}
            aria-describedby={`${id}-language-hint`}
            aria-invalid={errors.language ? true : undefined}
          />
          {errors.language && <p className="field-error">{errors.language}</p>}
          <p id={`${id}-language-hint`} className="muted small">
            {t('instructor.captions.languageHint')}
          </p>
        </div>
        <div className="teach-field">
          <label htmlFor={`${id}-label`}>{t('instructor.captions.label')}</label>
          <input id={`${id}-label`} value={label} dir="auto" required onChange={(event) => setLabel(event.target.value)} aria-invalid={errors.label ? true : undefined} />
          {errors.label && <p className="field-error">{errors.label}</p>}
        </div>
      </div>
      <div className="teach-field">
        <label htmlFor={`${id}-file`}>{t('instructor.captions.file')}</label>
        <input id={`${id}-file`} type="file" accept=".vtt,.srt,text/vtt" required onChange={(event) => setFile(event.target.files?.[0])} />
      </div>
      <label className="teach-check">
        <input type="checkbox" checked={isDefault} onChange={(event) => setIsDefault(event.target.checked)} />
        {t('instructor.captions.makeDefault')}
      </label>
      <SaveOutcome label={t('instructor.captions.upload')} disabled={!file} save={save} error={errors.label || errors.language ? null : save.error} />
    </form>
  );
}

function CueEditor({ videoId, track, onSaved }: { videoId: string; track: CaptionTrack; onSaved(): Promise<void> }) {
  const cues = useQuery({
    queryKey: [...captionsKey(videoId), track.language, track.version],
    queryFn: ({ signal }) => unwrap(client.GET('/api/videos/{id}/captions/{language}', { params: { path: { id: videoId, language: track.language } }, signal })),
  });
  return <QueryState query={cues}>{(data) => <CueForm key={data.version} videoId={videoId} track={data} onSaved={onSaved} />}</QueryState>;
}

/** Milliseconds as the seconds an input shows, and back (whole milliseconds, never before the start). */
const seconds = (ms: number) => ms / 1000;
const milliseconds = (value: string) => Math.max(0, Math.round(Number(value) * 1000));

/** Cue text as a WebVTT payload: a blank line or an arrow would end the cue early. */
const payload = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n')
    .replaceAll('-->', '--&gt;');

/** The cues of one track: text and timings, a shift of every timing, saved as a new version of the track. */
function CueForm({ videoId, track, onSaved }: { videoId: string; track: CaptionTrackCues; onSaved(): Promise<void> }) {
  const { t } = useI18n();
  const id = useId();
  const [cues, setCues] = useState<Cue[]>(track.cues);
  const [shift, setShift] = useState('0');
  const save = useMutation({
    mutationFn: () => saveTrack(videoId, track.language, { label: track.label, isDefault: track.isDefault, content: toWebVtt(cues.map((cue) => ({ ...cue, text: payload(cue.text) }))) }),
    onSuccess: onSaved,
  });
  const edit = (index: number, change: Partial<Cue>) => setCues(cues.map((cue, at) => (at === index ? { ...cue, ...change } : cue)));
  const shiftAll = () => {
    const by = Math.round(Number(shift) * 1000);
    if (Number.isFinite(by)) setCues(cues.map((cue) => ({ ...cue, startMs: Math.max(0, cue.startMs + by), endMs: Math.max(0, cue.endMs + by) })));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="teach-cue-form" onSubmit={submit}>
      <div className="row teach-cue-shift">
        <label htmlFor={`${id}-shift`}>{t('instructor.captions.shift')}</label>
        <input id={`${id}-shift`} type="number" step="0.1" value={shift} dir="ltr" onChange={(event) => setShift(event.target.value)} />
        <button type="button" className="button secondary" onClick={shiftAll}>
          {t('instructor.captions.shiftApply')}
        </button>
      </div>
      <ol className="teach-cues">
        {cues.map((cue, index) => {
          const number = index + 1;
          return (
            // A cue is its position in the track: the editor neither adds nor removes any.
            <li key={index} className="teach-cue">
              <input type="number" min={0} step={0.001} dir="ltr" value={seconds(cue.startMs)} aria-label={t('instructor.captions.start', { number })} onChange={(event) => edit(index, { startMs: milliseconds(event.target.value) })} />
              <input type="number" min={0} step={0.001} dir="ltr" value={seconds(cue.endMs)} aria-label={t('instructor.captions.end', { number })} onChange={(event) => edit(index, { endMs: milliseconds(event.target.value) })} />
              <textarea
                rows={Math.max(1, cue.text.split('\n').length)}
                value={cue.text}
                lang={track.language}
                dir={track.direction}
                aria-label={t('instructor.captions.text', { number })}
                onChange={(event) => edit(index, { text: event.target.value })}
              />
            </li>
          );
        })}
      </ol>
      <SaveOutcome label={t('instructor.captions.saveCues')} disabled={false} save={save} error={save.error} />
    </form>
  );
}

/** A caption form's submit button, then the version it saved or why the file was refused. */
function SaveOutcome({ label, disabled, save, error }: { label: string; disabled: boolean; save: { isPending: boolean; data: CaptionTrack | undefined }; error: Error | null }) {
  const { t, language } = useI18n();
  return (
    <>
      <div className="row">
        <button type="submit" className="button" disabled={disabled || save.isPending}>
          {save.isPending ? t('instructor.form.saving') : label}
        </button>
        {save.data && (
          <span role="status" className="teach-saved">
            {t('instructor.captions.saved', { version: save.data.version })}
          </span>
        )}
      </div>
      {error && <ErrorMessage error={refusal(error, t, language)} />}
    </>
  );
}
