/**
 * W3C Trace Context (`traceparent`): accepted from the caller or started here, and handed on to
 * every service binding call, queue message and container call so one trace id follows the work.
 */
export interface Trace {
  traceId: string;
  spanId: string;
  traceparent: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Continues the caller's trace with a new span, or starts a new trace when the header is absent or invalid. */
export function continueTrace(traceparent: string | null | undefined): Trace {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const callerTrace = match?.[1];
  const traceId = callerTrace && callerTrace !== ZERO_TRACE && match[2] !== ZERO_SPAN ? callerTrace : randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}
