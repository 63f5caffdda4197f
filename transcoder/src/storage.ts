import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TranscodeJob } from './contract.ts';
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

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt',
};

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

/** Streams the source to a file: sources can be gigabytes. */
export async function downloadSource(s3: S3Client, source: TranscodeJob['source'], path: string, signal: AbortSignal): Promise<void> {
  await storageCall('read the uploaded video', async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }), { abortSignal: signal }).catch((error: unknown) => {
      if (error instanceof NoSuchKey) throw new JobFailure('source_missing', 'The uploaded video is no longer in storage.', false);
      throw error;
    });
    if (!(object.Body instanceof Readable)) throw new Error('storage answered without a body');
    await pipeline(object.Body, createWriteStream(path), { signal });
  }, signal);
}

/**
 * Uploads every file under `dir` to the output prefix, `last` after all the others: a master
 * playlist that exists always points at complete renditions. A failed publish removes what it uploaded.
 */
export async function publish(s3: S3Client, dir: string, output: TranscodeJob['output'], last: string, signal: AbortSignal): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
  const upload = (file: string) =>
    storageCall(`save ${file}`, async () => {
      const body = await readFile(join(dir, file));
      await s3.send(
        new PutObjectCommand({ Bucket: output.bucket, Key: `${output.prefix}${file}`, Body: body, ContentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }),
        { abortSignal: signal },
      );
    }, signal);
  try {
    await inParallel(files.filter((file) => file !== last), PARALLEL_REQUESTS, upload);
    await upload(last);
  } catch (error) {
    if (!signal.aborted) await removeOutputs(s3, output).catch((cleanup: unknown) => log('error', 'could not remove a half-published output', { prefix: output.prefix, error: String(cleanup) }));
    throw error;
  }
}

/** Deletes everything under the output prefix, a listed page (up to 1000 keys) per request. */
export async function removeOutputs(s3: S3Client, output: TranscodeJob['output']): Promise<void> {
  let ContinuationToken: string | undefined;
  do {
    const page = await storageCall('list the outputs', () => s3.send(new ListObjectsV2Command({ Bucket: output.bucket, Prefix: output.prefix, ContinuationToken })));
    const Objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (Objects.length > 0) {
      await storageCall('delete the outputs', async () => {
        const { Errors } = await s3.send(new DeleteObjectsCommand({ Bucket: output.bucket, Delete: { Objects, Quiet: true } }));
        if (Errors?.length) throw new Error(`${Errors.length} outputs were not deleted, e.g. ${Errors[0]?.Key}: ${Errors[0]?.Message}`);
      });
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
}
