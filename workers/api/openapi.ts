import { describeRoute, resolver, type DescribeRouteOptions } from 'hono-openapi';
import { z } from 'zod';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '../../contracts/errors.ts';

/** The body of every refusal, in the document once (`#/components/schemas/ErrorEnvelope`). */
export const ErrorEnvelope = z
  .object({
    error: z.looseObject({
      code: z.enum(ERROR_CODES),
      message: z.string().meta({ description: 'For people: what went wrong and what to do.' }),
      traceId: z.string().meta({ description: 'Quote it when reporting the error.' }),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

/**
 * What each `documented` middleware promises, so the integration tests can hold every answer they
 * get to its route's document (status, success body, refusal code).
 */
export const routePromises = new WeakMap<object, { answers: Operation['answers']; refuses: ReadonlySet<ErrorCode> }>();

/** Who may call a route: anyone, anyone (a token that is sent must be valid), or a signed-in user. */
type Access = 'public' | 'optional' | 'signed-in';

interface Operation {
  summary: string;
  tags: [string];
  access: Access;
  /** The success answers: a JSON schema, `file` for bytes (media), or `null` for one without a body. */
  answers: Partial<Record<200 | 201 | 202 | 204 | 206 | 503, z.ZodType | 'file' | null>>;
  /** The refusals of the catalog this route gives, beyond those every route may give. */
  refuses?: ErrorCode[];
  description?: string;
}

/** Refusals any route may answer: a broken deployment, a dependency not answering, a bug; and a token that is sent but not valid. */
const ALWAYS: ErrorCode[] = ['internal_error', 'invalid_configuration', 'service_unavailable'];
const TOKEN: ErrorCode[] = ['invalid_token', 'token_expired', 'session_revoked', 'wrong_jurisdiction'];

/** A route in the OpenAPI document: its answers, and its refusals grouped by status, each naming its codes. */
export function documented({ summary, tags, access, answers, refuses = [], description }: Operation) {
  const codes = new Set<ErrorCode>([...ALWAYS, ...(access === 'public' ? [] : TOKEN), ...(access === 'signed-in' ? (['unauthenticated'] as const) : []), ...refuses]);
  const responses: NonNullable<DescribeRouteOptions['responses']> = {};
  for (const [status, schema] of Object.entries(answers)) {
    responses[status] =
      schema === null
        ? { description: 'Success, without a body' }
        : schema === 'file'
          ? { description: 'The file (or the requested range of it)', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }
          : { description: 'Success', content: { 'application/json': { schema: resolver(schema) } } };
  }
  const byStatus = Map.groupBy(codes, (code) => ERROR_STATUS[code]);
  for (const [status, grouped] of byStatus) {
    responses[status] = { description: `Refused: ${grouped.join(', ')}`, content: { 'application/json': { schema: resolver(ErrorEnvelope) } } };
  }
  const middleware = describeRoute({
    summary,
    tags,
    ...(description ? { description } : {}),
    ...(access === 'public' ? {} : { security: access === 'optional' ? [{}, { bearer: [] }] : [{ bearer: [] }] }),
    responses,
  });
  routePromises.set(middleware, { answers, refuses: codes });
  return middleware;
}

/** The document's frame; the paths come from the routes (`generateSpecs` / `openAPIRouteHandler`). */
export const DOCUMENT = {
  documentation: {
    openapi: '3.1.0',
    info: {
      title: 'KnowledgeCity Edge API',
      version: '1',
      description:
        'One deployment per jurisdiction, each with its own origin. Every refusal is an `ErrorEnvelope` whose `code` comes from one catalog; a signed-in call sends `Authorization: Bearer <accessToken>`.',
    },
    components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT' } } },
  },
  exclude: ['/api/openapi.json', '/api/docs'],
  // Each route names its own refusals (`documented`), `invalid_request` included.
  defaultValidationErrorResponse: false,
};
