import { describe, expect, it } from 'vitest';
import { cachedCatalog } from '../../workers/api/catalog/cache.ts';
import type { CourseCard, CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { backing } from './backing.ts';
import { publishedCourse } from './catalog-fixtures.ts';
import { call, signedInAs } from './client.ts';

interface Page {
  items: CourseCard[];
}

describe('the catalog cache', () => {
  it('serves the second list request from Redis, and an edit is visible on the next request', async () => {
    const instructor = await signedInAs('instructor');
    const tag = `cache${crypto.randomUUID().slice(0, 8)}`;
    const { course } = await publishedCourse(instructor, { title: 'Before the edit', tags: [tag] });
    const cache = backing('us').cache();

    const first = await call<Page>(`/api/courses?tag=${tag}`);
    expect(first.headers.get('x-cache')).toBe('miss');
    const keys = await cache.keys(`catalog:list:*${tag}*`);
    expect(keys).toHaveLength(1);
    expect(await cache.ttl(keys[0]!)).toBeGreaterThan(290);
    const second = await call<Page>(`/api/courses?tag=${tag}`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body).toEqual(first.body);

    await call(`/api/courses/${course.id}`, { method: 'PATCH', token: instructor.accessToken, json: { title: 'After the edit' } });
    const afterEdit = await call<Page>(`/api/courses?tag=${tag}`);
    expect(afterEdit.headers.get('x-cache')).toBe('miss');
    expect(afterEdit.body.items[0]?.title).toBe('After the edit');
    const detail = await call<CourseDetail>(`/api/courses/${course.slug}`);
    expect(detail.body.title).toBe('After the edit');
    expect((await call(`/api/courses/${course.slug}`)).headers.get('x-cache')).toBe('hit');
  });

  it('lets 50 concurrent misses on one key make a single database query', async () => {
    const { cache, database } = { cache: backing('us').cache(), database: backing('us').database() };
    const key = `catalog:test:${crypto.randomUUID()}`;
    let queries = 0;
    const load = async () => {
      queries++;
      const { rows } = await database.db.execute<{ now: string }>('select now()::text as now, pg_sleep(0.2)');
      return rows[0]?.now;
    };
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => cachedCatalog(cache, key, load)));
      expect(queries).toBe(1);
      expect(new Set(results.map((result) => result.value)).size).toBe(1);
      expect(results.filter((result) => !result.hit)).toHaveLength(1);
    } finally {
      await database.close();
    }
  });
});
