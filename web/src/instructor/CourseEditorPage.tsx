import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, QueryState } from '../ui/states.tsx';
import { CourseForm, EMPTY_COURSE } from './CourseForm.tsx';
import { LessonsEditor } from './LessonsEditor.tsx';
import { PricingForm } from './PricingForm.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { courseKey, ownCoursesKey } from './queries.ts';
import type { CourseDetail, CourseFields } from './types.ts';
import './instructor.css';

/** `/teach/new` creates a draft and moves on to `/teach/courses/:id`, which edits it, its lessons and videos. */
export function CourseEditorPage() {
  const { id } = useParams();
  const { t } = useI18n();
  return (
    <div className="page teach">
      <p className="small">
        <Link to="/teach">{t('instructor.editor.back')}</Link>
      </p>
      {id ? <EditCourse id={id} /> : <NewCourse />}
    </div>
  );
}

function NewCourse() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = async ({ slug, ...fields }: CourseFields) => {
    // An empty slug lets the API derive one from the title.
    const course = await unwrap(client.POST('/api/courses', { body: slug ? { ...fields, slug } : fields }));
    queryClient.setQueryData(courseKey(course.id), course);
    void queryClient.invalidateQueries({ queryKey: ownCoursesKey });
    void navigate(`/teach/courses/${course.id}`, { replace: true });
  };
  return (
    <>
      <h1>{t('instructor.editor.newTitle')}</h1>
      <section className="card teach-section">
        <CourseForm initial={EMPTY_COURSE} submitLabel={t('instructor.editor.create')} onSubmit={create} />
      </section>
    </>
  );
}

function EditCourse({ id }: { id: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const course = useQuery({ queryKey: courseKey(id), queryFn: () => unwrap(client.GET('/api/courses/{idOrSlug}', { params: { path: { idOrSlug: id } } })) });
  const adopt = (updated: CourseDetail) => {
    queryClient.setQueryData(courseKey(id), updated);
    void queryClient.invalidateQueries({ queryKey: ownCoursesKey });
  };
  const save = async (fields: CourseFields) => adopt(await unwrap(client.PATCH('/api/courses/{id}', { params: { path: { id } }, body: fields })));
  return (
    <QueryState query={course}>
      {(data) => (
        <>
          <div className="teach-heading">
            <h1>{data.title}</h1>
            <StatusBadge status={data.status} />
          </div>
          <PublishPanel course={data} onChange={adopt} />
          <section className="card teach-section" aria-labelledby="course-details">
            <h2 id="course-details">{t('instructor.editor.details')}</h2>
            <CourseForm initial={data} submitLabel={t('instructor.editor.save')} onSubmit={save} />
          </section>
          <PricingForm course={data} onChange={adopt} />
          <LessonsEditor course={data} onChange={adopt} />
        </>
      )}
    </QueryState>
  );
}

function PublishPanel({ course, onChange }: { course: CourseDetail; onChange(course: CourseDetail): void }) {
  const { t } = useI18n();
  const published = course.status === 'published';
  const toggle = useMutation({
    mutationFn: () => unwrap(client.POST(published ? '/api/courses/{id}/unpublish' : '/api/courses/{id}/publish', { params: { path: { id: course.id } } })),
    onSuccess: onChange,
  });
  return (
    <section className="card teach-section teach-publish" aria-labelledby="course-publishing">
      <div className="row">
        <h2 id="course-publishing" className="visually-hidden">
          {t('instructor.publish.heading')}
        </h2>
        <p className="teach-publish-text">{t(published ? 'instructor.publish.isPublished' : 'instructor.publish.isDraft')}</p>
        <button type="button" className={published ? 'button secondary' : 'button'} disabled={toggle.isPending} onClick={() => toggle.mutate()}>
          {t(published ? 'instructor.publish.unpublish' : 'instructor.publish.publish')}
        </button>
      </div>
      {toggle.isError && <ErrorMessage error={toggle.error} />}
    </section>
  );
}
