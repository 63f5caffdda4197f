import { Hono } from 'hono';
import { cachedCatalog } from '../catalog/cache.ts';
import type { ApiEnv } from '../context.ts';
import { documented } from '../openapi.ts';
import { SearchQuery, searchSpoken, SpokenHits } from '../search/spoken.ts';
import { valid } from '../validation.ts';

/** `GET /api/search`: what is said in the lessons, through the catalog cache (a course or caption change clears it). */
export const searchRoutes = new Hono<ApiEnv>().get(
  '/',
  documented({
    summary: 'Spoken-word search: lessons whose captions say the words, with the second and a highlighted snippet',
    description:
      'English and Arabic, stemmed; Arabic is normalized in the text and in the query alike (diacritics and tatweel removed, alef forms, ta marbuta and alef maqsura unified), so `مقدمه` finds `مقدّمة`. Published courses only.',
    tags: ['courses'],
    access: 'public',
    answers: { 200: SpokenHits },
    refuses: ['invalid_request'],
  }),
  valid('query', SearchQuery),
  async (c) => {
    const query = c.req.valid('query');
    const { database, cache } = c.var.services;
    const { value, hit } = await cachedCatalog(cache(), `search:spoken:${JSON.stringify(query)}`, async () => ({ items: await searchSpoken(database().db, query) }));
    c.header('x-cache', hit ? 'hit' : 'miss');
    return c.json(value);
  },
);
