import { AppError, type ErrorCode } from './errors.ts';

/**
 * An RPC method's answer. Workers RPC keeps only an error's name and message, so a refusal the
 * caller must pass on (its code, status and details) travels as a value; anything else is thrown.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { ok: false, error: { code: error.code, message: error.message, details: error.details } };
  }
}

/** The value, or the refusal thrown again as the AppError it was. */
export function unwrap<T>(answer: Outcome<T>): T {
  if (answer.ok) return answer.value;
  throw new AppError(answer.error.code, answer.error.message, answer.error.details);
}
