import type { FailureCode, TranscodeFailure } from '../../contracts/transcoder.ts';

/** Why a job failed, in words for the instructor, and whether another attempt could succeed. */
export class JobFailure extends Error {
  readonly code: FailureCode;
  readonly retryable: boolean;

  constructor(code: FailureCode, message: string, retryable: boolean) {
    super(message);
    this.code = code;
    this.retryable = retryable;
  }

  toJSON(): TranscodeFailure {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** Anything unforeseen counts as a transient failure: the media Worker bounds the attempts. */
export function asJobFailure(error: unknown): JobFailure {
  if (error instanceof JobFailure) return error;
  return new JobFailure('transcode_failed', `The transcoder failed unexpectedly: ${String(error)}`, true);
}
