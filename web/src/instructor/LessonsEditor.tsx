import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { CaptionsEditor } from './CaptionsEditor.tsx';
import { LessonVideo } from './LessonVideo.tsx';
import { courseKey, fieldErrors } from './queries.ts';
import type { CourseDetail, Lesson } from './types.ts';

type Direction = 'up' | 'down';

/** The course's lessons: add, rename, preview flag, delete, reorder (buttons, so the keyboard can), and each one's video. */
export function LessonsEditor({ course, onChange }: { course: CourseDetail; onChange(course: CourseDetail): void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>();
  const [announcement, setAnnouncement] = useState('');
  /** The order being saved, shown at once rather than after the round trip. */
  const [pendingOrder, setPendingOrder] = useState<string[]>();
  const moveButtons = useRef(new Map<string, HTMLButtonElement>());
  const focusAfterMove = useRef<string>(undefined);

  const byId = new Map(course.lessons.map((lesson) => [lesson.id, lesson]));
  const lessons = pendingOrder ? pendingOrder.flatMap((id) => byId.get(id) ?? []) : course.lessons;
  const refresh = () => queryClient.invalidateQueries({ queryKey: courseKey(course.id) });

  // React moves the row's DOM node, which drops focus: put it back on the button that was pressed
  // (or its twin, when the lesson reached an end and that button is disabled).
  useEffect(() => {
    const target = focusAfterMove.current;
    if (!target) return;
    focusAfterMove.current = undefined;
    const [id, direction] = target.split(':');
    const pressed = moveButtons.current.get(target);
    const other = moveButtons.current.get(`${id}:${direction === 'up' ? 'down' : 'up'}`);
    (pressed && !pressed.disabled ? pressed : other)?.focus();
  });

  const move = async (index: number, direction: Direction) => {
    // One reorder at a time; the buttons stay enabled (and focusable) while it saves.
    if (pendingOrder) return;
    const to = direction === 'up' ? index - 1 : index + 1;
    const ids = lessons.map((lesson) => lesson.id);
    const [moved] = ids.splice(index, 1);
    if (!moved || to < 0 || to > ids.length) return;
    ids.splice(to, 0, moved);
    setError(undefined);
    setPendingOrder(ids);
    focusAfterMove.current = `${moved}:${direction}`;
    setAnnouncement(t('instructor.lessons.moved', { title: byId.get(moved)?.title ?? '', position: to + 1 }));
    try {
      onChange(await unwrap(client.PUT('/api/courses/{id}/lessons/order', { params: { path: { id: course.id } }, body: { lessonIds: ids } })));
    } catch (caught) {
      setError(caught);
      await refresh();
    } finally {
      setPendingOrder(undefined);
    }
  };

  return (
    <section className="card teach-section" aria-labelledby="course-lessons">
      <h2 id="course-lessons">{t('instructor.lessons.heading')}</h2>
      {lessons.length === 0 ? (
        <p className="muted">{t('instructor.lessons.empty')}</p>
      ) : (
        <ol className="teach-lessons">
          {lessons.map((lesson, index) => (
            <LessonRow
              key={lesson.id}
              courseId={course.id}
              lesson={lesson}
              position={index + 1}
              last={index === lessons.length - 1}
              onMove={(direction) => void move(index, direction)}
              registerMoveButton={(direction, button) => {
                if (button) moveButtons.current.set(`${lesson.id}:${direction}`, button);
                else moveButtons.current.delete(`${lesson.id}:${direction}`);
              }}
              onChanged={refresh}
            />
          ))}
        </ol>
      )}
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {error !== undefined && <ErrorMessage error={error} />}
      <AddLesson courseId={course.id} onAdded={refresh} />
    </section>
  );
}

interface LessonRowProps {
  courseId: string;
  lesson: Lesson;
  position: number;
  last: boolean;
  onMove(direction: Direction): void;
  registerMoveButton(direction: Direction, button: HTMLButtonElement | null): void;
  onChanged(): Promise<void>;
}

function LessonRow({ courseId, lesson, position, last, onMove, registerMoveButton, onChanged }: LessonRowProps) {
  const { t } = useI18n();
  const titleId = useId();
  const [title, setTitle] = useState(lesson.title);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const target = { params: { path: { id: courseId, lessonId: lesson.id } } };
  const change = useMutation({
    mutationFn: (edit: Partial<Pick<Lesson, 'title' | 'isPreview'>> | 'delete') =>
      edit === 'delete' ? unwrap(client.DELETE('/api/courses/{id}/lessons/{lessonId}', target)) : unwrap(client.PATCH('/api/courses/{id}/lessons/{lessonId}', { ...target, body: edit })),
    onSuccess: onChanged,
  });
  const errors = fieldErrors(change.error);
  const busy = change.isPending;
  const rename = (event: FormEvent) => {
    event.preventDefault();
    change.mutate({ title });
  };

  return (
    <li className="teach-lesson">
      <div className="teach-lesson-head">
        <span className="teach-lesson-number" aria-hidden="true">
          {position}
        </span>
        <form className="teach-lesson-title" onSubmit={rename}>
          <label htmlFor={titleId} className="visually-hidden">
            {t('instructor.lessons.titleOf', { position })}
          </label>
          <input
            id={titleId}
            value={title}
            dir="auto"
            onChange={(e) => setTitle(e.target.value)}
            aria-invalid={errors.title ? true : undefined}
            aria-describedby={errors.title ? `${titleId}-error` : undefined}
          />
          <button type="submit" className="button secondary" disabled={busy || title === lesson.title}>
            {t('instructor.lessons.rename')}
          </button>
        </form>
        <div className="teach-lesson-actions">
          <button
            type="button"
            ref={(button) => registerMoveButton('up', button)}
            className="button secondary icon-button"
            disabled={position === 1}
            aria-label={t('instructor.lessons.moveUp', { title: lesson.title })}
            onClick={() => onMove('up')}
          >
            <span aria-hidden="true">↑</span>
          </button>
          <button
            type="button"
            ref={(button) => registerMoveButton('down', button)}
            className="button secondary icon-button"
            disabled={last}
            aria-label={t('instructor.lessons.moveDown', { title: lesson.title })}
            onClick={() => onMove('down')}
          >
            <span aria-hidden="true">↓</span>
          </button>
          {confirmDelete ? (
            <>
              <button type="button" className="button danger" disabled={busy} onClick={() => change.mutate('delete')}>
                {t('instructor.lessons.confirmDelete')}
              </button>
              <button type="button" className="button secondary" onClick={() => setConfirmDelete(false)}>
                {t('instructor.lessons.keep')}
              </button>
            </>
          ) : (
            <button type="button" className="button secondary" aria-label={t('instructor.lessons.deleteNamed', { title: lesson.title })} onClick={() => setConfirmDelete(true)}>
              {t('instructor.lessons.delete')}
            </button>
          )}
        </div>
      </div>
      {errors.title && (
        <p id={`${titleId}-error`} className="field-error">
          {errors.title}
        </p>
      )}
      <label className="teach-check">
        <input
          type="checkbox"
          checked={lesson.isPreview}
          disabled={busy}
          onChange={(e) => change.mutate({ isPreview: e.target.checked })}
        />
        {t('instructor.lessons.preview')}
      </label>
      {change.isError && !errors.title && <ErrorMessage error={change.error} />}
      <LessonVideo courseId={courseId} lesson={lesson} />
      {lesson.videoId && <CaptionsEditor videoId={lesson.videoId} />}
    </li>
  );
}

function AddLesson({ courseId, onAdded }: { courseId: string; onAdded(): Promise<void> }) {
  const { t } = useI18n();
  const id = useId();
  const [title, setTitle] = useState('');
  const add = useMutation({
    mutationFn: () => unwrap(client.POST('/api/courses/{id}/lessons', { params: { path: { id: courseId } }, body: { title } })),
    onSuccess: async () => {
      setTitle('');
      await onAdded();
    },
  });
  const errors = fieldErrors(add.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form className="teach-add-lesson" onSubmit={submit} noValidate>
      <label htmlFor={id}>{t('instructor.lessons.newTitle')}</label>
      <div className="row">
        <input id={id} value={title} dir="auto" onChange={(e) => setTitle(e.target.value)} aria-invalid={errors.title ? true : undefined} aria-describedby={errors.title ? `${id}-error` : undefined} />
        <button type="submit" className="button" disabled={add.isPending}>
          {t('instructor.lessons.add')}
        </button>
      </div>
      {errors.title && (
        <p id={`${id}-error`} className="field-error">
          {errors.title}
        </p>
      )}
      {add.isError && !errors.title && <ErrorMessage error={add.error} />}
    </form>
  );
}
