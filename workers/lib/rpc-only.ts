import { AppError, errorEnvelope } from './errors.ts';
import { continueTrace } from './trace.ts';

/** `analytics` and `media` serve no public HTTP: they are reached over service bindings and queues. */
export function refuseHttp(request: Request): Response {
  const trace = continueTrace(request.headers.get('traceparent'));
  const error = new AppError('not_found', 'This Worker is reached over service bindings and queues only.');
  return Response.json(errorEnvelope(error, trace.traceId), { status: 404, headers: { 'x-trace-id': trace.traceId } });
}
