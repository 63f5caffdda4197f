import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PUBLISHED_TYPES } from '../../contracts/media.ts';
import type { TranscodeJob } from '../../contracts/transcoder.ts';
import { JobFailure } from './failure.ts';
import { log } from './log.ts';
import { inParallel } from './parallel.ts';
import { withRetries, type Backoff } from './retry.ts';

/**
 * A few seconds of storage trouble (a restart, a throttling burst) should not fail a transcode;
 * anything longer fails the job as retryable and the media Worker tries it again later.
 */
const STORAGE_BACKOFF: Backoff = { attempts: 5, firstDelayMs: 500, maxDelayMs: 8_000 };
const PARALLEL_REQUESTS = 4;

/** Like the Workers' storage (workers/lib/storage.ts): path-style, checksums only when required. */
export function openStorage(storage: TranscodeJob['storage']): S3Client {
  return new S3Client({
    endpoint: storage.endpoint,
    region: storage.region,
    credentials: { accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Retried by `storageCall`, over a longer window than the SDK's own retries cover.
    maxAttempts: 1,
  });
}

async function storageCall<T>(what: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await withRetries(task, STORAGE_BACKOFF, {
      signal,
      isPermanent: (error) => error instanceof JobFailure,
      onRetry: (error, attempt) => log('warn', 'storage call failed, retrying', { what, attempt, error: String(error) }),
    });
  } catch (error) {
    if (signal?.aborted || error instanceof JobFailure) throw error;
    throw new JobFailure('storage_unavailable', `Storage could not be reached to ${what} (${String(error)}).`, true);
  }
}

/** Long enough for the longest job: ffmpeg reads the source through this URL until the end. */
const SOURCE_URL_SECONDS = 24 * 60 * 60;

/**
 * A presigned GET of the source, which ffmpeg reads by HTTP ranges: each run fetches only the part
 * it encodes and nothing waits for a whole copy on disk (`npm run bench:chunk-input`).
 */
export async function sourceUrl(s3: S3Client, source: TranscodeJob['source'], signal: AbortSignal): Promise<string> {
  const object = { Bucket: source.bucket, Key: source.key };
  await storageCall('find the uploaded video', async () => {
    await s3.send(new HeadObjectCommand(object), { abortSignal: signal }).catch((error: unknown) => {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw new JobFailure('source_missing', 'The uploaded video is no longer in storage.', false);
      }
      throw error;
    });
  }, signal);
  return getSignedUrl(s3, new GetObjectCommand(object), { expiresIn: SOURCE_URL_SECONDS });
}

/** Uploads one file of the job's output; `cacheControl` for a file that changes while the job runs. */
export function putFile(s3: S3Client, output: TranscodeJob['output'], file: string, body: Buffer | string, signal: AbortSignal, cacheControl?: string): Promise<void> {
  return storageCall(`save ${file}`, async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: output.bucket, Key: `${output.prefix}${file}`, Body: body, ContentType: PUBLISHED_TYPES.get(extname(file).slice(1)) ?? 'application/octet-stream', CacheControl: cacheControl }),
      { abortSignal: signal },
    );
  }, signal);
}

/** Uploads files of `dir` (relative paths), PARALLEL_REQUESTS at a time. */
export async function uploadFiles(s3: S3Client, dir: string, output: TranscodeJob['output'], files: Iterable<string>, signal: AbortSignal): Promise<void> {
  await inParallel([...files], PARALLEL_REQUESTS, async (file) => putFile(s3, output, file, await readFile(join(dir, file)), signal));
}

/**
 * Uploads every file under `dir` to the output prefix but those `published` while the job ran,
 * `last` after all the others: a master playlist that lists complete renditions comes after them.
 */
export async function publish(s3: S3Client, dir: string, output: TranscodeJob['output'], last: string, published: ReadonlySet<string>, signal: AbortSignal): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
  await uploadFiles(s3, dir, output, files.filter((file) => file !== last && !published.has(file)), signal);
  await uploadFiles(s3, dir, output, [last], signal);
}

/** Every key under the output prefix (a folder of it, or the whole job's). */
export async function listOutputs(s3: S3Client, output: TranscodeJob['output']): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await storageCall('list the outputs', () => s3.send(new ListObjectsV2Command({ Bucket: output.bucket, Prefix: output.prefix, ContinuationToken })));
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** One file of the job's output, relative to its prefix. */
export function readOutput(s3: S3Client, output: TranscodeJob['output'], file: string, signal: AbortSignal): Promise<Buffer> {
  return storageCall(`read ${file}`, async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: output.bucket, Key: `${output.prefix}${file}` }), { abortSignal: signal });
    return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  }, signal);
}

/** Deletes everything under the output prefix, up to 1000 keys per request. */
export async function removeOutputs(s3: S3Client, output: TranscodeJob['output']): Promise<void> {
  const keys = await listOutputs(s3, output);
  for (let start = 0; start < keys.length; start += 1000) {
    const Objects = keys.slice(start, start + 1000).map((Key) => ({ Key }));
    await storageCall('delete the outputs', async () => {
      const { Errors } = await s3.send(new DeleteObjectsCommand({ Bucket: output.bucket, Delete: { Objects, Quiet: true } }));
      if (Errors?.length) throw new Error(`${Errors.length} outputs were not deleted, e.g. ${Errors[0]?.Key}: ${Errors[0]?.Message}`);
    });
  }
}
