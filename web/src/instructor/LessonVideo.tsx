import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { mayRetry } from '../../../contracts/media.ts';
import { client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, ProgressBar } from '../ui/states.tsx';
import { courseKey, videoKey } from './queries.ts';
import type { Lesson, VideoState, VideoStatus } from './types.ts';
import { cancelUpload, MissingEtagError, resumeRecord, StorageError, Throughput, uploadVideo } from './uploader.ts';

/** Statuses that change on their own: polled every 2 s. Processing them can be cancelled. */
const MOVING: VideoState[] = ['uploaded', 'queued', 'processing', 'playable'];
const POLL_MS = 2_000;
/** The "ready" notification comes through a queue, a few seconds after the status changes. */
const NOTIFICATION_DELAY_MS = 5_000;
/** Progress text changes this often at most: readable, and cheap to render. */
const PROGRESS_RENDER_MS = 250;

type Upload =
  | { phase: 'idle' }
  | { phase: 'uploading'; fileName: string; total: number; sent: number; bytesPerSecond: number | undefined }
  | { phase: 'failed'; error: unknown };

type Format = ReturnType<typeof useI18n>['formatNumber'];
function formatBytes(bytes: number, format: Format, perSecond = false): string {
  const [value, unit] = bytes >= 1e9 ? [bytes / 1e9, 'gigabyte'] : bytes >= 1e6 ? [bytes / 1e6, 'megabyte'] : [bytes / 1e3, 'kilobyte'];
  return format(value, { style: 'unit', unit: perSecond ? `${unit}-per-second` : unit, maximumFractionDigits: 1 });
}

/** What storage's refusal means to the instructor. */
function uploadError(error: unknown, t: ReturnType<typeof useI18n>['t']): unknown {
  if (error instanceof StorageError) return new Error(error.status === 0 ? t('instructor.upload.networkFailed') : t('instructor.upload.storageFailed', { status: error.status }));
  if (error instanceof MissingEtagError) return new Error(t('instructor.upload.noEtag'));
  return error;
}

/** A lesson's video: its processing status, and an upload with a real progress bar, cancel and resume. */
export function LessonVideo({ courseId, lesson }: { courseId: string; lesson: Lesson }) {
  const { t, formatNumber } = useI18n();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const [uploadedId, setUploadedId] = useState<string | null>(null);
  const [readyNotice, setReadyNotice] = useState(false);
  const [interrupted, setInterrupted] = useState(() => resumeRecord(lesson.id));
  const controller = useRef<AbortController>(undefined);
  const startedVideo = useRef<string>(undefined);
  const uploadedHere = useRef(new Set<string>());
  const watchedId = uploadedId ?? lesson.videoId;

  // The server attaches an upload to its lesson: at once if the lesson has no video, once ready if it
  // replaces one (learners keep watching the old one until then). The course is fetched again to show it.
  const refreshCourse = () => queryClient.invalidateQueries({ queryKey: courseKey(courseId) });

  const video = useQuery({
    queryKey: videoKey(watchedId ?? ''),
    // The status change is noticed where it is fetched: that is the event, no effect needed.
    queryFn:
      watchedId === null
        ? skipToken
        : async () => {
            const previous = queryClient.getQueryData<VideoStatus>(videoKey(watchedId));
            const next = await unwrap(client.GET('/api/videos/{id}', { params: { path: { id: watchedId } } }));
            const changed = previous ? previous.status !== next.status : uploadedHere.current.has(next.id);
            if (changed && (next.status === 'ready' || next.status === 'failed')) {
              setTimeout(() => void queryClient.invalidateQueries({ queryKey: ['notifications'] }), NOTIFICATION_DELAY_MS);
              setReadyNotice(next.status === 'ready');
            }
            if ((next.status === 'playable' || next.status === 'ready') && next.id !== lesson.videoId) await refreshCourse();
            return next;
          },
    refetchInterval: (query) => (query.state.data && MOVING.includes(query.state.data.status) ? POLL_MS : false),
  });

  // Reloading or closing the tab stops a single PUT for good (a multipart one resumes): ask first.
  const uploading = upload.phase === 'uploading';
  useEffect(() => {
    if (!uploading) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [uploading]);

  const start = async (file: File) => {
    const abort = new AbortController();
    controller.current = abort;
    startedVideo.current = undefined;
    const meter = new Throughput();
    let rendered = 0;
    setReadyNotice(false);
    setUpload({ phase: 'uploading', fileName: file.name, total: file.size, sent: 0, bytesPerSecond: undefined });
    try {
      const videoId = await uploadVideo(courseId, lesson.id, file, abort.signal, {
        onStarted: (id) => (startedVideo.current = id),
        onProgress: (sent) => {
          meter.add(sent);
          const now = performance.now();
          if (sent < file.size && now - rendered < PROGRESS_RENDER_MS) return;
          rendered = now;
          setUpload({ phase: 'uploading', fileName: file.name, total: file.size, sent, bytesPerSecond: meter.bytesPerSecond() });
        },
      });
      uploadedHere.current.add(videoId);
      setInterrupted(undefined);
      setUpload({ phase: 'idle' });
      setUploadedId(videoId);
      // The lesson may already show this video (attached when the upload began, then a reload): its status moved on.
      await Promise.all([refreshCourse(), queryClient.invalidateQueries({ queryKey: videoKey(videoId) })]);
    } catch (error) {
      if (abort.signal.aborted) return;
      setInterrupted(resumeRecord(lesson.id));
      setUpload({ phase: 'failed', error: uploadError(error, t) });
    }
  };

  const cancel = async () => {
    controller.current?.abort();
    setUpload({ phase: 'idle' });
    setInterrupted(undefined);
    const videoId = startedVideo.current;
    if (videoId) await cancelUpload(videoId, lesson.id).catch((error: unknown) => setUpload({ phase: 'failed', error }));
  };

  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) void start(file);
  };

  const status = video.data;
  return (
    <div className="teach-video">
      <div className="teach-video-status" aria-live="polite">
        {watchedId === null && <p className="muted small">{t('instructor.video.none')}</p>}
        {watchedId !== null && video.isPending && <p className="muted small">{t('state.loading')}</p>}
        {video.isError && <ErrorMessage error={video.error} onRetry={() => void video.refetch()} />}
        {status && <VideoStatusLine status={status} />}
        {status && upload.phase !== 'uploading' && <ProcessingActions status={status} onChanged={refreshCourse} />}
        {readyNotice && status?.status === 'ready' && (
          <p className="teach-ready" role="status">
            <span aria-hidden="true">✓ </span>
            {t('instructor.video.readyNotice')}
          </p>
        )}
      </div>

      {upload.phase === 'uploading' && <UploadProgress upload={upload} onCancel={() => void cancel()} />}
      {upload.phase === 'failed' && <ErrorMessage error={upload.error} />}
      {interrupted && upload.phase !== 'uploading' && (
        <p className="small teach-resume">{t('instructor.upload.interrupted', { name: interrupted.name, size: formatBytes(interrupted.size, formatNumber) })}</p>
      )}

      {upload.phase !== 'uploading' && (
        <div className="teach-file">
          <input id={inputId} type="file" accept="video/*" className="teach-file-input" onChange={choose} />
          <label htmlFor={inputId} className="button secondary">
            {t(watchedId ? 'instructor.upload.replace' : 'instructor.upload.choose')}
          </label>
        </div>
      )}
    </div>
  );
}

function VideoStatusLine({ status }: { status: VideoStatus }) {
  const { t, formatNumber, formatDuration } = useI18n();
  const label = t(`instructor.video.status.${status.status}`);
  return (
    <div className="teach-video-line">
      <p className="small">
        <span className={`video-state video-${status.status}`}>{label}</span>
        {(status.status === 'processing' || status.status === 'playable') && ` ${formatNumber(status.percent / 100, { style: 'percent' })}`}
        {status.status === 'ready' && status.durationSeconds !== null && ` · ${formatDuration(status.durationSeconds)}`}
      </p>
      {MOVING.includes(status.status) && <ProgressBar value={status.percent} label={t('instructor.video.processingLabel')} />}
      {status.status === 'failed' && status.error && (
        <p className="field-error" role="alert">
          {status.error.message}
        </p>
      )}
    </div>
  );
}

/** Cancel processing (two clicks: "Cancel processing", then "Yes, cancel" in its place), or process a cancelled video, or one whose failure was not its source's, again. */
function ProcessingActions({ status, onChanged }: { status: VideoStatus; onChanged(): Promise<void> }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const path = { params: { path: { id: status.id } } };
  const change = useMutation({
    mutationFn: (action: 'cancel' | 'retry') => unwrap(action === 'cancel' ? client.POST('/api/videos/{id}/cancel', path) : client.POST('/api/videos/{id}/retry', path)),
    onSuccess: async (next) => {
      setConfirming(false);
      queryClient.setQueryData(videoKey(next.id), next);
      // A cancelled replacement gives its lesson back to the video it showed before.
      await onChanged();
    },
  });
  const busy = change.isPending;
  return (
    <div className="row teach-video-actions">
      {MOVING.includes(status.status) &&
        (confirming ? (
          <>
            <span className="small">{t('instructor.video.cancelQuestion')}</span>
            <button type="button" className="button danger" onClick={() => change.mutate('cancel')} disabled={busy} aria-busy={busy}>
              {t('instructor.video.cancelConfirm')}
            </button>
            <button type="button" className="button secondary" onClick={() => setConfirming(false)} disabled={busy}>
              {t('instructor.video.keepProcessing')}
            </button>
          </>
        ) : (
          <button type="button" className="button secondary" onClick={() => setConfirming(true)}>
            {t('instructor.video.cancel')}
          </button>
        ))}
      {mayRetry(status.status, status.error?.code) && (
        <button type="button" className="button secondary" onClick={() => change.mutate('retry')} disabled={busy} aria-busy={busy}>
          {t('instructor.video.retry')}
        </button>
      )}
      {change.isError && <ErrorMessage error={change.error} />}
    </div>
  );
}

function UploadProgress({ upload, onCancel }: { upload: Extract<Upload, { phase: 'uploading' }>; onCancel(): void }) {
  const { t, formatNumber, formatDuration } = useI18n();
  const { sent, total, bytesPerSecond } = upload;
  const percent = total > 0 ? (sent / total) * 100 : 0;
  const left = bytesPerSecond ? (total - sent) / bytesPerSecond : undefined;
  return (
    <div className="teach-upload">
      <p className="small teach-upload-name">{t('instructor.upload.sending', { name: upload.fileName })}</p>
      <ProgressBar value={percent} label={t('instructor.upload.progressLabel', { name: upload.fileName })} />
      <p className="small teach-upload-numbers">
        <span className="teach-percent">{formatNumber(Math.floor(percent) / 100, { style: 'percent' })}</span>
        <span>{t('instructor.upload.bytes', { sent: formatBytes(sent, formatNumber), total: formatBytes(total, formatNumber) })}</span>
        {sent >= total ? (
          <span>{t('instructor.upload.finishing')}</span>
        ) : (
          <>
            <span>{bytesPerSecond ? formatBytes(bytesPerSecond, formatNumber, true) : '—'}</span>
            <span>{left !== undefined ? t('instructor.upload.left', { time: formatDuration(left) }) : t('instructor.upload.measuring')}</span>
          </>
        )}
      </p>
      <button type="button" className="button secondary" onClick={onCancel}>
        {t('instructor.upload.cancel')}
      </button>
    </div>
  );
}
